package dev.coffer.server.metrics;

import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/** Reads a {@link Fleet}: five queries in all, never one per instance. */
public final class FleetQueries {
  private final Jdbi jdbi;
  private final InstanceRepository instances;
  private final Supplier<Set<String>> runningBackups;

  public FleetQueries(
      Jdbi jdbi, InstanceRepository instances, Supplier<Set<String>> runningBackups) {
    this.jdbi = jdbi;
    this.instances = instances;
    this.runningBackups = runningBackups;
  }

  public Fleet read() {
    Instant now = Instant.now();
    List<Instance> live = instances.live();
    Set<String> backingUp = runningBackups.get();
    Map<String, String> datastoreOfVersion = new HashMap<>();
    Map<String, Instant> lastGoodBackup = new HashMap<>();
    List<Fleet.TaskCount> tasks =
        jdbi.withHandle(
            h -> {
              h.createQuery(
                      "select v.id, d.name from datastore_versions v"
                          + " join datastores d on d.id = v.datastore_id")
                  .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
                  .forEach(e -> datastoreOfVersion.put(e.getKey(), e.getValue()));
              h.createQuery(
                      "select instance_id, max(updated_at) from backups"
                          + " where status = 'COMPLETED' and deleted_at is null"
                          + " group by instance_id")
                  .map(
                      (rs, ctx) -> {
                        Timestamp at = rs.getTimestamp(2);
                        return Map.entry(rs.getString(1), at.toInstant());
                      })
                  .forEach(e -> lastGoodBackup.put(e.getKey(), e.getValue()));
              return h.createQuery(
                      "select type, state, count(*) from tasks group by type, state"
                          + " order by type, state")
                  .map(
                      (rs, ctx) ->
                          new Fleet.TaskCount(rs.getString(1), rs.getString(2), rs.getLong(3)))
                  .list();
            });
    List<Fleet.Member> members =
        live.stream()
            .map(
                i ->
                    new Fleet.Member(
                        i,
                        Fleet.status(i, now, backingUp.contains(i.id())),
                        datastoreOfVersion.getOrDefault(i.datastoreVersionId(), "unknown")))
            .toList();
    return new Fleet(now, members, lastGoodBackup, tasks);
  }
}

package dev.coffer.server.events;

import dev.coffer.server.clusters.ClusterRepository;
import dev.coffer.server.clusters.ClusterRoutes;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.StatusRules;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/** Every live cluster with the status the API shows for it, for the status watcher. */
public final class ClusterStatuses implements Supplier<List<StatusWatcher.ClusterStatus>> {
  private final Jdbi jdbi;
  private final ClusterRepository clusters;
  private final InstanceRepository instances;
  private final Supplier<Set<String>> runningBackups;

  public ClusterStatuses(
      Jdbi jdbi,
      ClusterRepository clusters,
      InstanceRepository instances,
      Supplier<Set<String>> runningBackups) {
    this.jdbi = jdbi;
    this.clusters = clusters;
    this.instances = instances;
    this.runningBackups = runningBackups;
  }

  @Override
  public List<StatusWatcher.ClusterStatus> get() {
    List<String> ids =
        jdbi.withHandle(
            h ->
                h.createQuery("select id from clusters where deleted_at is null")
                    .mapTo(String.class)
                    .list());
    if (ids.isEmpty()) {
      return List.of();
    }
    Instant now = Instant.now();
    Set<String> backups = runningBackups.get();
    return ids.stream()
        .flatMap(id -> clusters.find(id).stream())
        .map(
            c ->
                new StatusWatcher.ClusterStatus(
                    c.id(),
                    c.projectId(),
                    ClusterRoutes.status(
                        c,
                        instances.clusterMembers(c.id()).stream()
                            .map(i -> StatusRules.status(i, now, backups.contains(i.id())))
                            .toList())))
        .toList();
  }
}

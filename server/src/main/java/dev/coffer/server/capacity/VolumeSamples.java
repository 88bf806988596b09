package dev.coffer.server.capacity;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** The {@code volume_samples} table. */
public final class VolumeSamples {
  private final Jdbi jdbi;

  public VolumeSamples(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public void insert(VolumeSample sample) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into volume_samples (instance_id, sampled_at, used_bytes)"
                        + " values (?, ?, ?)")
                .bind(0, sample.instanceId())
                .bind(1, Timestamp.from(sample.at()))
                .bind(2, sample.usedBytes())
                .execute());
  }

  public Optional<Instant> latest(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select max(sampled_at) from volume_samples where instance_id = ?")
                .bind(0, instanceId)
                .map((rs, ctx) -> Optional.ofNullable(rs.getTimestamp(1)).map(Timestamp::toInstant))
                .one());
  }

  /** The samples of these instances taken at or after {@code from}, oldest first. */
  public List<VolumeSample> since(Collection<String> instanceIds, Instant from) {
    if (instanceIds.isEmpty()) {
      return List.of();
    }
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select instance_id, sampled_at, used_bytes from volume_samples"
                        + " where instance_id in (<ids>) and sampled_at >= :from"
                        + " order by sampled_at")
                .bindList("ids", List.copyOf(instanceIds))
                .bind("from", Timestamp.from(from))
                .map(
                    (rs, ctx) ->
                        new VolumeSample(
                            rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getLong(3)))
                .list());
  }

  public int deleteBefore(Instant before) {
    return jdbi.withHandle(
        h ->
            h.createUpdate("delete from volume_samples where sampled_at < ?")
                .bind(0, Timestamp.from(before))
                .execute());
  }
}

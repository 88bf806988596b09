package dev.coffer.server.backups;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** {@link LogArchiveRepository} on the state store. */
public final class JdbiLogArchiveRepository implements LogArchiveRepository {
  private final Jdbi jdbi;

  public JdbiLogArchiveRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void insert(LogArchive archive) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into log_archives (instance_id, project_id, object_prefix,"
                        + " wrapped_key, archived_until, created_at) values (:instance, :project,"
                        + " :prefix, :key, :until, :created)")
                .bind("instance", archive.instanceId())
                .bind("project", archive.projectId())
                .bind("prefix", archive.objectPrefix())
                .bind("key", archive.wrappedKey())
                .bind("until", timestamp(archive.archivedUntil()))
                .bind("created", timestamp(archive.createdAt()))
                .execute());
  }

  @Override
  public Optional<LogArchive> find(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from log_archives where instance_id = :instance")
                .bind("instance", instanceId)
                .map(
                    (rs, ctx) ->
                        new LogArchive(
                            rs.getString("instance_id"),
                            rs.getString("project_id"),
                            rs.getString("object_prefix"),
                            rs.getString("wrapped_key"),
                            instant(rs.getTimestamp("archived_until")),
                            instant(rs.getTimestamp("created_at"))))
                .findOne());
  }

  @Override
  public void advance(String instanceId, Instant until) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update log_archives set archived_until = :until where instance_id = :instance"
                        + " and (archived_until is null or archived_until < :until)")
                .bind("until", Timestamp.from(until))
                .bind("instance", instanceId)
                .execute());
  }

  @Override
  public void delete(String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from log_archives where instance_id = :instance")
                .bind("instance", instanceId)
                .execute());
  }

  @Override
  public Map<String, String> wrappedKeys() {
    return jdbi.withHandle(
        h -> {
          Map<String, String> keys = new LinkedHashMap<>();
          h.createQuery("select instance_id, wrapped_key from log_archives order by instance_id")
              .map((rs, ctx) -> Map.entry(rs.getString("instance_id"), rs.getString("wrapped_key")))
              .forEach(e -> keys.put(e.getKey(), e.getValue()));
          return keys;
        });
  }

  @Override
  public boolean replaceWrappedKey(String instanceId, String expected, String replacement) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "update log_archives set wrapped_key = :replacement"
                            + " where instance_id = :instance and wrapped_key = :expected")
                    .bind("replacement", replacement)
                    .bind("instance", instanceId)
                    .bind("expected", expected)
                    .execute())
        == 1;
  }

  private static Timestamp timestamp(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  private static Instant instant(Timestamp timestamp) {
    return timestamp == null ? null : timestamp.toInstant();
  }
}

package dev.coffer.server.backups;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiBackupRepository implements BackupRepository {
  private static final String COLUMNS =
      "id, project_id, instance_id, name, description, datastore_version_id, parent_id, status,"
          + " size_bytes, plain_bytes, checksum, object_key, location_ref, wrapped_key, manifest,"
          + " fault_message, verified_at, restore_seconds, created_at, updated_at, scheduled, verify_report";

  private final Jdbi jdbi;

  public JdbiBackupRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void insert(Backup b) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into backups ("
                        + COLUMNS
                        + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(0, b.id())
                .bind(1, b.projectId())
                .bind(2, b.instanceId())
                .bind(3, b.name())
                .bind(4, b.description())
                .bind(5, b.datastoreVersionId())
                .bind(6, b.parentId())
                .bind(7, b.status().name())
                .bind(8, b.sizeBytes())
                .bind(9, b.plainBytes())
                .bind(10, b.checksum())
                .bind(11, b.objectKey())
                .bind(12, b.locationRef())
                .bind(13, b.wrappedKey())
                .bind(14, b.manifest())
                .bind(15, b.faultMessage())
                .bind(16, ts(b.verifiedAt()))
                .bind(17, b.restoreSeconds())
                .bind(18, ts(b.createdAt()))
                .bind(19, ts(b.updatedAt()))
                .bind(20, b.scheduled())
                .bind(21, b.verifyReport())
                .execute());
  }

  @Override
  public Optional<Backup> find(String projectId, String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from backups where id = ? and project_id = ? and deleted_at is null")
                .bind(0, id)
                .bind(1, projectId)
                .map(JdbiBackupRepository::backup)
                .findFirst());
  }

  @Override
  public Optional<Backup> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select " + COLUMNS + " from backups where id = ? and deleted_at is null")
                .bind(0, id)
                .map(JdbiBackupRepository::backup)
                .findFirst());
  }

  @Override
  public List<Backup> list(String projectId, Optional<String> instanceId) {
    return jdbi.withHandle(
        h -> {
          String sql =
              "select "
                  + COLUMNS
                  + " from backups where project_id = :project and deleted_at is null";
          if (instanceId.isPresent()) {
            sql += " and instance_id = :instance";
          }
          var query =
              h.createQuery(sql + " order by created_at desc, id desc").bind("project", projectId);
          instanceId.ifPresent(i -> query.bind("instance", i));
          return query.map(JdbiBackupRepository::backup).list();
        });
  }

  @Override
  public List<Backup> children(String parentId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from backups where parent_id = ? and deleted_at is null")
                .bind(0, parentId)
                .map(JdbiBackupRepository::backup)
                .list());
  }

  @Override
  public List<Backup> ofInstance(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from backups where instance_id = ? and deleted_at is null")
                .bind(0, instanceId)
                .map(JdbiBackupRepository::backup)
                .list());
  }

  @Override
  public Optional<Backup> latestCompleted(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from backups where instance_id = ? and status = 'COMPLETED'"
                        + " and deleted_at is null order by created_at desc limit 1")
                .bind(0, instanceId)
                .map(JdbiBackupRepository::backup)
                .findFirst());
  }

  @Override
  public Set<String> instancesWithRunningBackups() {
    return jdbi.withHandle(
        h ->
            new HashSet<>(
                h.createQuery(
                        "select distinct instance_id from backups where status in ('NEW', 'BUILDING') and deleted_at is null")
                    .mapTo(String.class)
                    .list()));
  }

  @Override
  public void setStatus(String id, BackupStatus status, String faultMessage) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update backups set status = ?, fault_message = ?, updated_at = ? where id = ?")
                .bind(0, status.name())
                .bind(1, faultMessage)
                .bind(2, Timestamp.from(Instant.now()))
                .bind(3, id)
                .execute());
  }

  @Override
  public void complete(
      String id,
      long sizeBytes,
      long plainBytes,
      String checksum,
      String locationRef,
      String manifest) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update backups set status = 'COMPLETED', size_bytes = ?, plain_bytes = ?, checksum = ?,"
                        + " location_ref = ?, manifest = ?, fault_message = null, updated_at = ? where id = ?")
                .bind(0, sizeBytes)
                .bind(1, plainBytes)
                .bind(2, checksum)
                .bind(3, locationRef)
                .bind(4, manifest)
                .bind(5, Timestamp.from(Instant.now()))
                .bind(6, id)
                .execute());
  }

  @Override
  public void setWrappedKey(String id, String wrappedKey) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update backups set wrapped_key = ?, updated_at = ? where id = ?")
                .bind(0, wrappedKey)
                .bind(1, Timestamp.from(Instant.now()))
                .bind(2, id)
                .execute());
  }

  @Override
  public void recordDrill(String id, Instant verifiedAt, Double restoreSeconds, String report) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update backups set verified_at = ?, restore_seconds = ?, verify_report = ?, updated_at = ? where id = ?")
                .bind(0, ts(verifiedAt))
                .bind(1, restoreSeconds)
                .bind(2, report)
                .bind(3, Timestamp.from(Instant.now()))
                .bind(4, id)
                .execute());
  }

  @Override
  public void markDeleted(String id) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update backups set deleted_at = ?, updated_at = ? where id = ?")
                .bind(0, Timestamp.from(Instant.now()))
                .bind(1, Timestamp.from(Instant.now()))
                .bind(2, id)
                .execute());
  }

  @Override
  public Map<String, String> wrappedKeys() {
    return jdbi.withHandle(
        h -> {
          Map<String, String> keys = new LinkedHashMap<>();
          h.createQuery(
                  "select id, wrapped_key from backups where wrapped_key is not null order by id")
              .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("wrapped_key")))
              .forEach(e -> keys.put(e.getKey(), e.getValue()));
          return keys;
        });
  }

  @Override
  public boolean replaceWrappedKey(String id, String expected, String replacement) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "update backups set wrapped_key = ? where id = ? and wrapped_key = ?")
                    .bind(0, replacement)
                    .bind(1, id)
                    .bind(2, expected)
                    .execute())
        == 1;
  }

  private static Timestamp ts(Instant i) {
    return i == null ? null : Timestamp.from(i);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  private static Long nullableLong(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  private static Backup backup(ResultSet rs, StatementContext ctx) throws SQLException {
    double seconds = rs.getDouble("restore_seconds");
    Double restoreSeconds = rs.wasNull() ? null : seconds;
    return new Backup(
        rs.getString("id"),
        rs.getString("project_id"),
        rs.getString("instance_id"),
        rs.getString("name"),
        rs.getString("description"),
        rs.getString("datastore_version_id"),
        rs.getString("parent_id"),
        BackupStatus.valueOf(rs.getString("status")),
        nullableLong(rs, "size_bytes"),
        nullableLong(rs, "plain_bytes"),
        rs.getString("checksum"),
        rs.getString("object_key"),
        rs.getString("location_ref"),
        rs.getString("wrapped_key"),
        rs.getString("manifest"),
        rs.getString("fault_message"),
        instant(rs, "verified_at"),
        restoreSeconds,
        instant(rs, "created_at"),
        instant(rs, "updated_at"),
        rs.getBoolean("scheduled"),
        rs.getString("verify_report"));
  }
}

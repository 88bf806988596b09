package dev.coffer.server.backups;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiScheduleRepository implements ScheduleRepository {
  private static final String COLUMNS =
      "instance_id, project_id, cron, incremental, verify, keep_last, keep_daily, keep_weekly, keep_monthly,"
          + " next_run_at";
  private final Jdbi jdbi;

  public JdbiScheduleRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void upsert(BackupSchedule s) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate("delete from backup_schedules where instance_id = ?")
              .bind(0, s.instanceId())
              .execute();
          Timestamp now = Timestamp.from(Instant.now());
          h.createUpdate(
                  "insert into backup_schedules ("
                      + COLUMNS
                      + ", created_at, updated_at)"
                      + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
              .bind(0, s.instanceId())
              .bind(1, s.projectId())
              .bind(2, s.cron())
              .bind(3, s.incremental())
              .bind(4, s.verify())
              .bind(5, s.retention().keepLast())
              .bind(6, s.retention().daily())
              .bind(7, s.retention().weekly())
              .bind(8, s.retention().monthly())
              .bind(9, Timestamp.from(s.nextRunAt()))
              .bind(10, now)
              .bind(11, now)
              .execute();
        });
  }

  @Override
  public Optional<BackupSchedule> find(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select " + COLUMNS + " from backup_schedules where instance_id = ?")
                .bind(0, instanceId)
                .map(JdbiScheduleRepository::schedule)
                .findFirst());
  }

  @Override
  public void delete(String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from backup_schedules where instance_id = ?")
                .bind(0, instanceId)
                .execute());
  }

  @Override
  public List<BackupSchedule> all() {
    return jdbi.withHandle(
        h ->
            h.createQuery("select " + COLUMNS + " from backup_schedules")
                .map(JdbiScheduleRepository::schedule)
                .list());
  }

  @Override
  public void setNextRun(String instanceId, Instant nextRunAt) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update backup_schedules set next_run_at = ?, updated_at = ? where instance_id = ?")
                .bind(0, Timestamp.from(nextRunAt))
                .bind(1, Timestamp.from(Instant.now()))
                .bind(2, instanceId)
                .execute());
  }

  @Override
  public void requestDrill(String backupId, String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into scheduled_drills (backup_id, instance_id, requested_at)"
                        + " values (?, ?, ?)")
                .bind(0, backupId)
                .bind(1, instanceId)
                .bind(2, Timestamp.from(Instant.now()))
                .execute());
  }

  @Override
  public List<String> pendingDrills() {
    return jdbi.withHandle(
        h ->
            h.createQuery("select backup_id from scheduled_drills order by requested_at, backup_id")
                .mapTo(String.class)
                .list());
  }

  @Override
  public void forgetDrill(String backupId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from scheduled_drills where backup_id = ?")
                .bind(0, backupId)
                .execute());
  }

  private static BackupSchedule schedule(ResultSet rs, StatementContext ctx) throws SQLException {
    return new BackupSchedule(
        rs.getString("instance_id"),
        rs.getString("project_id"),
        rs.getString("cron"),
        rs.getBoolean("incremental"),
        rs.getBoolean("verify"),
        new RetentionPolicy(
            rs.getInt("keep_last"),
            rs.getInt("keep_daily"),
            rs.getInt("keep_weekly"),
            rs.getInt("keep_monthly")),
        rs.getTimestamp("next_run_at").toInstant());
  }
}

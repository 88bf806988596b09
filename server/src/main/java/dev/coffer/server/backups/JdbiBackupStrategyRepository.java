package dev.coffer.server.backups;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiBackupStrategyRepository implements BackupStrategyRepository {
  private final Jdbi jdbi;

  public JdbiBackupStrategyRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void upsert(BackupStrategy s) {
    jdbi.useTransaction(
        h -> {
          Timestamp now = Timestamp.from(Instant.now());
          int updated =
              h.createUpdate(
                      "update backup_strategies set container = ?, updated_at = ?"
                          + " where project_id = ? and instance_id = ?")
                  .bind(0, s.container())
                  .bind(1, now)
                  .bind(2, s.projectId())
                  .bind(3, s.instanceId())
                  .execute();
          if (updated == 0) {
            h.createUpdate(
                    "insert into backup_strategies"
                        + " (project_id, instance_id, container, created_at, updated_at)"
                        + " values (?, ?, ?, ?, ?)")
                .bind(0, s.projectId())
                .bind(1, s.instanceId())
                .bind(2, s.container())
                .bind(3, now)
                .bind(4, now)
                .execute();
          }
        });
  }

  @Override
  public List<BackupStrategy> list(String projectId, Optional<String> instanceId) {
    return jdbi.withHandle(
        h -> {
          String sql =
              "select project_id, instance_id, container from backup_strategies"
                  + " where project_id = :project";
          if (instanceId.isPresent()) {
            sql += " and instance_id = :instance";
          }
          var query =
              h.createQuery(sql + " order by instance_id, created_at").bind("project", projectId);
          instanceId.ifPresent(i -> query.bind("instance", i));
          return query.map(JdbiBackupStrategyRepository::strategy).list();
        });
  }

  @Override
  public boolean delete(String projectId, String instanceId) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "delete from backup_strategies where project_id = ? and instance_id = ?")
                    .bind(0, projectId)
                    .bind(1, instanceId)
                    .execute())
        > 0;
  }

  @Override
  public Optional<String> containerFor(String projectId, String instanceId) {
    // The instance's own strategy sorts after the project-wide one ('').
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select container from backup_strategies"
                        + " where project_id = ? and instance_id in (?, '')"
                        + " order by instance_id desc limit 1")
                .bind(0, projectId)
                .bind(1, instanceId)
                .mapTo(String.class)
                .findFirst());
  }

  private static BackupStrategy strategy(ResultSet rs, StatementContext ctx) throws SQLException {
    return new BackupStrategy(
        rs.getString("project_id"), rs.getString("instance_id"), rs.getString("container"));
  }
}

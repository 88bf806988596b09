package dev.coffer.server.alerts;

import java.sql.Timestamp;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/** The {@code active_alerts} table: the alerts firing now. */
public final class ActiveAlerts {
  private final Jdbi jdbi;

  public ActiveAlerts(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public List<Alert> all() {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select instance_id, kind, project_id, message, started_at from active_alerts"
                        + " order by started_at, instance_id, kind")
                .map(
                    (rs, ctx) ->
                        new Alert(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getTimestamp(5).toInstant()))
                .list());
  }

  public void insert(Alert alert) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into active_alerts"
                        + " (instance_id, kind, project_id, message, started_at)"
                        + " values (?, ?, ?, ?, ?)")
                .bind(0, alert.instanceId())
                .bind(1, alert.kind())
                .bind(2, alert.projectId())
                .bind(3, alert.message())
                .bind(4, Timestamp.from(alert.startedAt()))
                .execute());
  }

  public void delete(Alert.Key key) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from active_alerts where instance_id = ? and kind = ?")
                .bind(0, key.instanceId())
                .bind(1, key.kind())
                .execute());
  }
}

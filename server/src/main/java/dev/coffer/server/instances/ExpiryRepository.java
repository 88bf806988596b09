package dev.coffer.server.instances;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** The expiry columns of the instances table. */
public final class ExpiryRepository {
  private static final String SELECT =
      "select id, project_id, expires_at, expiry_warned_at, expiry_backup_id, expiry_state"
          + " from instances";

  private final Jdbi jdbi;

  public ExpiryRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** Runs {@code work} in one transaction (repositories it calls on this thread join it). */
  public <T> T inTransaction(Supplier<T> work) {
    return jdbi.inTransaction(h -> work.get());
  }

  public Optional<Expiry> find(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT + " where id = ? and expires_at is not null")
                .bind(0, instanceId)
                .map(ExpiryRepository::expiry)
                .findFirst());
  }

  /** Sets (or moves) the expiry and starts its warning and expiry over. */
  public void setExpiry(String instanceId, Instant expiresAt) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update instances set expires_at = ?, expiry_warned_at = null,"
                        + " expiry_backup_id = null, expiry_state = null where id = ?")
                .bind(0, Timestamp.from(expiresAt))
                .bind(1, instanceId)
                .execute());
  }

  /** Live instances expiring before {@code horizon} whose project was not warned yet. */
  public List<Expiry> unwarned(Instant horizon) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    SELECT
                        + " where deleted_at is null and expires_at <= ?"
                        + " and expiry_warned_at is null")
                .bind(0, Timestamp.from(horizon))
                .map(ExpiryRepository::expiry)
                .list());
  }

  /** Live instances past their expiry whose expiry has not started. */
  public List<Expiry> due(Instant now) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    SELECT
                        + " where deleted_at is null and expires_at <= ? and expiry_state is null")
                .bind(0, Timestamp.from(now))
                .map(ExpiryRepository::expiry)
                .list());
  }

  public void markWarned(String instanceId, Instant at) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update instances set expiry_warned_at = ? where id = ?")
                .bind(0, Timestamp.from(at))
                .bind(1, instanceId)
                .execute());
  }

  /**
   * Marks the expiry started if nobody did (one winner among control planes) and, in the same
   * transaction, runs {@code start} (which submits its durable task); false if already started.
   */
  public boolean start(String instanceId, Instant now, Runnable start) {
    return jdbi.inTransaction(
        h -> {
          int claimed =
              h.createUpdate(
                      "update instances set expiry_state = ? where id = ?"
                          + " and expiry_state is null and expires_at <= ?")
                  .bind(0, Expiry.EXPIRING)
                  .bind(1, instanceId)
                  .bind(2, Timestamp.from(now))
                  .execute();
          if (claimed == 1) {
            start.run();
          }
          return claimed == 1;
        });
  }

  public void recordBackup(String instanceId, String backupId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update instances set expiry_backup_id = ? where id = ?")
                .bind(0, backupId)
                .bind(1, instanceId)
                .execute());
  }

  public void markFailed(String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update instances set expiry_state = ? where id = ?")
                .bind(0, Expiry.FAILED)
                .bind(1, instanceId)
                .execute());
  }

  private static Expiry expiry(ResultSet rs, StatementContext ctx) throws SQLException {
    return new Expiry(
        rs.getString("id"),
        rs.getString("project_id"),
        instant(rs.getTimestamp("expires_at")),
        instant(rs.getTimestamp("expiry_warned_at")),
        rs.getString("expiry_backup_id"),
        rs.getString("expiry_state"));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}

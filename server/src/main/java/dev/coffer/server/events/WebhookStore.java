package dev.coffer.server.events;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** Webhooks and their delivery outbox. */
public final class WebhookStore {
  private final Jdbi jdbi;

  public WebhookStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public void insert(Webhook w) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into webhooks (id, project_id, url, event_types, wrapped_secret,"
                        + " created_by, created_at) values (?, ?, ?, ?, ?, ?, ?)")
                .bind(0, w.id())
                .bind(1, w.allProjects() ? null : w.projectId())
                .bind(2, w.url())
                .bind(3, w.eventTypes().isEmpty() ? "*" : String.join(",", w.eventTypes()))
                .bind(4, w.wrappedSecret())
                .bind(5, w.createdBy())
                .bind(6, Timestamp.from(w.createdAt()))
                .execute());
  }

  /** Live webhooks a project's member sees: the project's own and, for admins, all-project ones. */
  public List<Webhook> visible(String projectId, boolean admin) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select * from webhooks where deleted_at is null and (project_id = ?"
                        + (admin ? " or project_id is null" : "")
                        + ") order by created_at, id")
                .bind(0, projectId)
                .map((rs, ctx) -> webhook(rs))
                .list());
  }

  public Optional<Webhook> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from webhooks where id = ? and deleted_at is null")
                .bind(0, id)
                .map((rs, ctx) -> webhook(rs))
                .findFirst());
  }

  /** Deletes the webhook; its pending deliveries are cancelled. */
  public void delete(String id) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate("update webhooks set deleted_at = ? where id = ?")
              .bind(0, Timestamp.from(Instant.now()))
              .bind(1, id)
              .execute();
          h.createUpdate(
                  "update webhook_deliveries set state = 'CANCELLED' where webhook_id = ?"
                      + " and state = 'PENDING'")
              .bind(0, id)
              .execute();
        });
  }

  /** Within the event's transaction: one pending delivery per webhook that wants the event. */
  void enqueue(Handle h, String eventId, Event event) {
    List<Webhook> hooks =
        h.createQuery(
                "select * from webhooks where deleted_at is null"
                    + " and (project_id = ? or project_id is null)")
            .bind(0, event.projectId())
            .map((rs, ctx) -> webhook(rs))
            .list();
    Timestamp now = Timestamp.from(Instant.now());
    for (Webhook hook : hooks) {
      if (hook.wants(event)) {
        h.createUpdate(
                "insert into webhook_deliveries (id, webhook_id, event_id, state, attempts,"
                    + " next_attempt_at, created_at) values (?, ?, ?, 'PENDING', 0, ?, ?)")
            .bind(0, UUID.randomUUID().toString())
            .bind(1, hook.id())
            .bind(2, eventId)
            .bind(3, now)
            .bind(4, now)
            .execute();
      }
    }
  }

  /** Pending deliveries whose next attempt is due, oldest first. */
  public List<Delivery> due(Instant now, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select d.*, e.type as event_type from webhook_deliveries d"
                        + " join events e on e.id = d.event_id"
                        + " where d.state = 'PENDING' and d.next_attempt_at <= ?"
                        + " order by d.seq limit "
                        + limit)
                .bind(0, Timestamp.from(now))
                .map((rs, ctx) -> delivery(rs))
                .list());
  }

  /** A webhook's deliveries, newest first. */
  public List<Delivery> deliveries(String webhookId, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select d.*, e.type as event_type from webhook_deliveries d"
                        + " join events e on e.id = d.event_id"
                        + " where d.webhook_id = ? order by d.seq desc limit "
                        + limit)
                .bind(0, webhookId)
                .map((rs, ctx) -> delivery(rs))
                .list());
  }

  /** Records an attempt's result: DELIVERED, FAILED, or PENDING again at {@code nextAttempt}. */
  public void attempted(
      String id, String state, int attempts, Instant nextAttempt, Integer response, String error) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update webhook_deliveries set state = ?, attempts = ?, next_attempt_at = ?,"
                        + " last_response = ?, last_error = ?, delivered_at = ?"
                        + " where id = ? and state = 'PENDING'")
                .bind(0, state)
                .bind(1, attempts)
                .bind(2, Timestamp.from(nextAttempt))
                .bindByType(3, response, Integer.class)
                .bind(4, error == null || error.length() <= 1000 ? error : error.substring(0, 1000))
                .bind(
                    5, state.equals("DELIVERED") ? Timestamp.from(Instant.now()) : (Timestamp) null)
                .bind(6, id)
                .execute());
  }

  private static Webhook webhook(ResultSet rs) throws SQLException {
    String types = rs.getString("event_types");
    return new Webhook(
        rs.getString("id"),
        rs.getString("project_id"),
        rs.getString("url"),
        types.equals("*") ? List.of() : Arrays.asList(types.split(",")),
        rs.getString("wrapped_secret"),
        rs.getString("created_by"),
        rs.getTimestamp("created_at").toInstant());
  }

  private static Delivery delivery(ResultSet rs) throws SQLException {
    int response = rs.getInt("last_response");
    boolean noResponse = rs.wasNull();
    Timestamp delivered = rs.getTimestamp("delivered_at");
    return new Delivery(
        rs.getString("id"),
        rs.getString("webhook_id"),
        rs.getString("event_id"),
        rs.getString("event_type"),
        rs.getString("state"),
        rs.getInt("attempts"),
        rs.getTimestamp("next_attempt_at").toInstant(),
        noResponse ? null : response,
        rs.getString("last_error"),
        rs.getTimestamp("created_at").toInstant(),
        delivered == null ? null : delivered.toInstant());
  }
}

package dev.coffer.server.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable event log. Publishing stores the event and, in the same transaction, one pending
 * delivery per matching webhook (the outbox), so an event and its deliveries exist together or not
 * at all, and a restart loses neither.
 */
public final class EventLog implements EventSink {
  private static final Logger log = LoggerFactory.getLogger(EventLog.class);
  private static final TypeReference<Map<String, Object>> DETAILS = new TypeReference<>() {};

  /** What a reader filters events by; empty means any. */
  public record Filter(
      String projectId,
      Optional<String> targetId,
      Optional<String> type,
      Optional<Instant> since,
      Optional<String> marker,
      int limit) {}

  private final Jdbi jdbi;
  private final ObjectMapper json;
  private final WebhookStore webhooks;

  public EventLog(Jdbi jdbi, ObjectMapper json, WebhookStore webhooks) {
    this.jdbi = jdbi;
    this.json = json;
    this.webhooks = webhooks;
  }

  @Override
  public void publish(Event event) {
    try {
      String id = UUID.randomUUID().toString();
      String details = json.writeValueAsString(event.details());
      jdbi.useTransaction(
          h -> {
            h.createUpdate(
                    "insert into events (id, project_id, target_type, target_id, type, severity,"
                        + " message, details, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(0, id)
                .bind(1, event.projectId())
                .bind(2, event.targetType())
                .bind(3, event.targetId())
                .bind(4, event.type())
                .bind(5, event.severity())
                .bind(6, cut(event.message(), 2000))
                .bind(7, cut(details, 4000))
                .bind(8, Timestamp.from(event.at()))
                .execute();
            webhooks.enqueue(h, id, event);
          });
      log.info(
          "event={} project={} {}={} severity={} message=\"{}\"",
          event.type(),
          event.projectId(),
          event.targetType(),
          event.targetId(),
          event.severity(),
          event.message());
    } catch (JsonProcessingException | RuntimeException e) {
      // Publishing never fails the work that happened; the log line keeps what was lost.
      log.error(
          "event=event_publish_failed type={} project={} target={} reason=\"{}\"",
          event.type(),
          event.projectId(),
          event.targetId(),
          e.getMessage(),
          e);
    }
  }

  /** Matching events of one project, oldest first, after {@code marker} (an event id). */
  public List<StoredEvent> find(Filter f) {
    StringBuilder sql = new StringBuilder("select * from events where project_id = ?");
    List<Object> args = new ArrayList<>(List.of(f.projectId()));
    f.targetId()
        .ifPresent(
            v -> {
              sql.append(" and target_id = ?");
              args.add(v);
            });
    f.type()
        .ifPresent(
            v -> {
              sql.append(" and type = ?");
              args.add(v);
            });
    f.since()
        .ifPresent(
            v -> {
              sql.append(" and at >= ?");
              args.add(Timestamp.from(v));
            });
    f.marker()
        .ifPresent(
            v -> {
              sql.append(" and seq > (select seq from events where id = ?)");
              args.add(v);
            });
    sql.append(" order by seq limit ").append(f.limit());
    return jdbi.withHandle(
        h -> {
          Query query = h.createQuery(sql.toString());
          for (int i = 0; i < args.size(); i++) {
            query.bind(i, args.get(i));
          }
          return query.map((rs, ctx) -> stored(rs)).list();
        });
  }

  /** The target's latest events, newest first. */
  public List<StoredEvent> recent(String projectId, String targetId, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select * from events where project_id = ? and target_id = ?"
                        + " order by seq desc limit "
                        + limit)
                .bind(0, projectId)
                .bind(1, targetId)
                .map((rs, ctx) -> stored(rs))
                .list());
  }

  public Optional<StoredEvent> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from events where id = ?")
                .bind(0, id)
                .map((rs, ctx) -> stored(rs))
                .findFirst());
  }

  private StoredEvent stored(ResultSet rs) throws SQLException {
    Map<String, Object> details;
    try {
      details = json.readValue(rs.getString("details"), DETAILS);
    } catch (JsonProcessingException e) {
      details = Map.of();
    }
    return new StoredEvent(
        rs.getString("id"),
        rs.getLong("seq"),
        new Event(
            rs.getString("project_id"),
            rs.getString("target_type"),
            rs.getString("target_id"),
            rs.getString("type"),
            rs.getString("severity"),
            rs.getString("message"),
            details,
            rs.getTimestamp("at").toInstant()));
  }

  private static String cut(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }
}

package dev.coffer.server.audit;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

/** The durable audit log: rows are only ever added, and read newest first. */
public final class AuditLog {
  private static final String COLUMNS =
      "id, at, request_id, user_id, user_name, project_id, action, method, route, target_id,"
          + " outcome, remote_address";

  /** What an administrator filters the log by; empty means any. */
  public record Filter(
      Optional<String> projectId,
      Optional<String> user,
      Optional<String> action,
      Optional<String> targetId,
      Optional<Integer> outcome,
      Optional<Instant> since,
      Optional<Instant> until,
      Optional<String> marker,
      int limit) {}

  private final Jdbi jdbi;

  public AuditLog(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  public void add(AuditEntry e) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into audit_log ("
                        + COLUMNS
                        + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(0, e.id())
                .bind(1, Timestamp.from(e.at()))
                .bind(2, e.requestId())
                .bind(3, e.userId())
                .bind(4, cut(e.userName(), 255))
                .bind(5, cut(e.projectId(), 64))
                .bind(6, cut(e.action(), 255))
                .bind(7, e.method())
                .bind(8, cut(e.route(), 255))
                .bind(9, cut(e.targetId(), 255))
                .bind(10, e.outcome())
                .bind(11, cut(e.remoteAddress(), 64))
                .execute());
  }

  /** Matching entries, newest first, after {@code marker} (an entry id) if given. */
  public List<AuditEntry> find(Filter f) {
    StringBuilder sql = new StringBuilder("select " + COLUMNS + " from audit_log where 1 = 1");
    List<Object> args = new ArrayList<>();
    f.projectId().ifPresent(v -> where(sql, args, " and project_id = ?", v));
    f.user().ifPresent(v -> where(sql, args, " and (user_name = ? or user_id = ?)", v, v));
    f.action().ifPresent(v -> where(sql, args, " and action = ?", v));
    f.targetId().ifPresent(v -> where(sql, args, " and target_id = ?", v));
    f.outcome().ifPresent(v -> where(sql, args, " and outcome = ?", v));
    f.since().ifPresent(v -> where(sql, args, " and at >= ?", Timestamp.from(v)));
    f.until().ifPresent(v -> where(sql, args, " and at < ?", Timestamp.from(v)));
    f.marker()
        .ifPresent(v -> where(sql, args, " and seq < (select seq from audit_log where id = ?)", v));
    sql.append(" order by seq desc limit ").append(f.limit());
    return jdbi.withHandle(
        h -> {
          Query query = h.createQuery(sql.toString());
          for (int i = 0; i < args.size(); i++) {
            query.bind(i, args.get(i));
          }
          return query.map(AuditLog::entry).list();
        });
  }

  private static void where(StringBuilder sql, List<Object> args, String clause, Object... values) {
    sql.append(clause);
    args.addAll(List.of(values));
  }

  private static String cut(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }

  private static AuditEntry entry(ResultSet rs, StatementContext ctx) throws SQLException {
    return new AuditEntry(
        rs.getString("id"),
        rs.getTimestamp("at").toInstant(),
        rs.getString("request_id"),
        rs.getString("user_id"),
        rs.getString("user_name"),
        rs.getString("project_id"),
        rs.getString("action"),
        rs.getString("method"),
        rs.getString("route"),
        rs.getString("target_id"),
        rs.getInt("outcome"),
        rs.getString("remote_address"));
  }
}

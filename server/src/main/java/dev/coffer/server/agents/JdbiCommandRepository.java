package dev.coffer.server.agents;

import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.ErrorKind;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiCommandRepository implements CommandRepository {
  private static final String COLUMNS =
      "id, instance_id, type, payload, state, result, error_kind, error";
  private final Jdbi jdbi;

  public JdbiCommandRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public synchronized void insertIfAbsent(StoredCommand c) {
    jdbi.useTransaction(
        h -> {
          boolean exists =
              h.createQuery("select count(*) from agent_commands where id = ?")
                      .bind(0, c.id())
                      .mapTo(Long.class)
                      .one()
                  > 0;
          if (!exists) {
            h.createUpdate(
                    "insert into agent_commands (id, instance_id, type, payload, state, created_at)"
                        + " values (?, ?, ?, ?, 'PENDING', ?)")
                .bind(0, c.id())
                .bind(1, c.instanceId())
                .bind(2, c.type().name())
                .bind(3, c.payload())
                .bind(4, Timestamp.from(Instant.now()))
                .execute();
          }
        });
  }

  @Override
  public synchronized Optional<StoredCommand> deliverNext(String instanceId) {
    return jdbi.inTransaction(
        h -> {
          Optional<StoredCommand> next =
              h.createQuery(
                      "select "
                          + COLUMNS
                          + " from agent_commands where instance_id = ? and state = 'PENDING'"
                          + " order by created_at, id limit 1")
                  .bind(0, instanceId)
                  .map(JdbiCommandRepository::command)
                  .findFirst();
          next.ifPresent(
              c ->
                  h.createUpdate(
                          "update agent_commands set state = 'DELIVERED', delivered_at = ? where id = ?")
                      .bind(0, Timestamp.from(Instant.now()))
                      .bind(1, c.id())
                      .execute());
          return next;
        });
  }

  @Override
  public Optional<StoredCommand> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select " + COLUMNS + " from agent_commands where id = ?")
                .bind(0, id)
                .map(JdbiCommandRepository::command)
                .findFirst());
  }

  @Override
  public boolean complete(String instanceId, String id, CommandResult result, String resultJson) {
    return jdbi.withHandle(
        h ->
            h.createUpdate(
                        "update agent_commands set state = 'DONE', payload = null, result = ?, error_kind = ?,"
                            + " error = ?, completed_at = ? where id = ? and instance_id = ? and state in"
                            + " ('PENDING', 'DELIVERED', 'CANCELLED')")
                    .bind(0, resultJson)
                    .bind(1, result.errorKind() == null ? null : result.errorKind().name())
                    .bind(2, result.error())
                    .bind(3, Timestamp.from(Instant.now()))
                    .bind(4, id)
                    .bind(5, instanceId)
                    .execute()
                > 0);
  }

  @Override
  public int requeueDelivered(String instanceId) {
    return jdbi.inTransaction(
        h -> {
          // A backup cut off by a dying agent is not resumed: it ends FAILED with this reason and
          // the operator takes a new one (the partial upload never became a visible object).
          h.createUpdate(
                  "update agent_commands set state = 'DONE', payload = null, error_kind = 'ENGINE_FAILURE',"
                      + " error = 'the backup was interrupted because the guest agent stopped',"
                      + " completed_at = ? where instance_id = ? and state = 'DELIVERED' and type = 'BACKUP'")
              .bind(0, Timestamp.from(Instant.now()))
              .bind(1, instanceId)
              .execute();
          return h.createUpdate(
                  "update agent_commands set state = 'PENDING' where instance_id = ? and state = 'DELIVERED'")
              .bind(0, instanceId)
              .execute();
        });
  }

  @Override
  public void cancel(String id) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update agent_commands set state = 'CANCELLED', payload = null where id = ? and state in ('PENDING', 'DELIVERED')")
                .bind(0, id)
                .execute());
  }

  @Override
  public void cancelAll(String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update agent_commands set state = 'CANCELLED', payload = null where instance_id = ?"
                        + " and state in ('PENDING', 'DELIVERED')")
                .bind(0, instanceId)
                .execute());
  }

  private static StoredCommand command(ResultSet rs, StatementContext ctx) throws SQLException {
    String kind = rs.getString("error_kind");
    return new StoredCommand(
        rs.getString("id"),
        rs.getString("instance_id"),
        CommandType.valueOf(rs.getString("type")),
        rs.getString("payload"),
        rs.getString("state"),
        rs.getString("result"),
        kind == null ? null : ErrorKind.valueOf(kind),
        rs.getString("error"));
  }
}

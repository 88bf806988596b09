package dev.coffer.server.tasks;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiTaskRepository implements TaskRepository {
  private static final String COLUMNS =
      "id, type, instance_id, state, attempts, max_attempts, next_run_at, deadline, last_error, payload";
  private final Jdbi jdbi;

  public JdbiTaskRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void insert(Task task) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into tasks ("
                        + COLUMNS
                        + ", created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(0, task.id())
                .bind(1, task.type().name())
                .bind(2, task.instanceId())
                .bind(3, task.state().name())
                .bind(4, task.attempts())
                .bind(5, task.maxAttempts())
                .bind(6, Timestamp.from(task.nextRunAt()))
                .bind(7, Timestamp.from(task.deadline()))
                .bind(8, task.lastError())
                .bind(9, task.payload())
                .bind(10, Timestamp.from(Instant.now()))
                .bind(11, Timestamp.from(Instant.now()))
                .execute());
  }

  @Override
  public synchronized Optional<Task> claimNext(Instant now) {
    return jdbi.inTransaction(
        h -> {
          Optional<Task> next =
              h.createQuery(
                      "select "
                          + COLUMNS
                          + " from tasks where state = 'PENDING' and next_run_at <= ?"
                          + " and instance_id not in (select instance_id from tasks where state = 'RUNNING')"
                          + " order by next_run_at limit 1")
                  .bind(0, Timestamp.from(now))
                  .map(JdbiTaskRepository::task)
                  .findFirst();
          if (next.isEmpty()) {
            return next;
          }
          int claimed =
              h.createUpdate(
                      "update tasks set state = 'RUNNING', attempts = attempts + 1, updated_at = ?"
                          + " where id = ? and state = 'PENDING'")
                  .bind(0, Timestamp.from(now))
                  .bind(1, next.get().id())
                  .execute();
          if (claimed == 0) {
            return Optional.<Task>empty();
          }
          Task t = next.get();
          return Optional.of(
              new Task(
                  t.id(),
                  t.type(),
                  t.instanceId(),
                  TaskState.RUNNING,
                  t.attempts() + 1,
                  t.maxAttempts(),
                  t.nextRunAt(),
                  t.deadline(),
                  t.lastError(),
                  t.payload()));
        });
  }

  @Override
  public int requeueRunning() {
    return jdbi.withHandle(
        h ->
            h.createUpdate("update tasks set state = 'PENDING' where state = 'RUNNING'").execute());
  }

  @Override
  public void complete(String id) {
    end(id, TaskState.DONE, null);
  }

  @Override
  public void savePayload(String id, String payload) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update tasks set payload = ?, updated_at = ? where id = ?")
                .bind(0, payload)
                .bind(1, Timestamp.from(Instant.now()))
                .bind(2, id)
                .execute());
  }

  @Override
  public void fail(String id, String error) {
    end(id, TaskState.FAILED, error);
  }

  private void end(String id, TaskState state, String error) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update tasks set state = ?, last_error = ?, payload = null, updated_at = ? where id = ?")
                .bind(0, state.name())
                .bind(1, error)
                .bind(2, Timestamp.from(Instant.now()))
                .bind(3, id)
                .execute());
  }

  @Override
  public void retryLater(String id, Instant nextRunAt, String error) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update tasks set state = 'PENDING', next_run_at = ?, last_error = ?, updated_at = ? where id = ?")
                .bind(0, Timestamp.from(nextRunAt))
                .bind(1, error)
                .bind(2, Timestamp.from(Instant.now()))
                .bind(3, id)
                .execute());
  }

  @Override
  public List<Task> unfinished(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from tasks where instance_id = ? and state in ('PENDING', 'RUNNING')")
                .bind(0, instanceId)
                .map(JdbiTaskRepository::task)
                .list());
  }

  private static Task task(ResultSet rs, StatementContext ctx) throws SQLException {
    return new Task(
        rs.getString("id"),
        TaskType.valueOf(rs.getString("type")),
        rs.getString("instance_id"),
        TaskState.valueOf(rs.getString("state")),
        rs.getInt("attempts"),
        rs.getInt("max_attempts"),
        rs.getTimestamp("next_run_at").toInstant(),
        rs.getTimestamp("deadline").toInstant(),
        rs.getString("last_error"),
        rs.getString("payload"));
  }
}

package dev.coffer.server.tasks;

import java.time.Instant;

/**
 * A durable unit of long work. {@code payload} is the handler's input (JSON); it may hold secrets
 * (initial user passwords) and is erased when the task ends.
 */
public record Task(
    String id,
    TaskType type,
    String instanceId,
    TaskState state,
    int attempts,
    int maxAttempts,
    Instant nextRunAt,
    Instant deadline,
    String lastError,
    String payload) {

  public static Task create(String id, TaskType type, String instanceId, String payload) {
    Instant now = Instant.now();
    return new Task(
        id,
        type,
        instanceId,
        TaskState.PENDING,
        0,
        type.maxAttempts(),
        now,
        now.plus(type.timeout()),
        null,
        payload);
  }

  @Override
  public String toString() {
    return "Task[id=%s, type=%s, instance=%s, state=%s, attempts=%d]"
        .formatted(id, type, instanceId, state, attempts);
  }
}

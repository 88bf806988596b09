package dev.coffer.server.tasks;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface TaskRepository {
  void insert(Task task);

  /** Atomically moves one due PENDING task to RUNNING (attempts + 1) and returns it. */
  Optional<Task> claimNext(Instant now);

  /** After a restart, tasks that were RUNNING belong to nobody: make them PENDING again. */
  int requeueRunning();

  void complete(String id);

  /** Records a running task's progress (its next step) in its payload. */
  void savePayload(String id, String payload);

  void retryLater(String id, Instant nextRunAt, String error);

  void fail(String id, String error);

  List<Task> unfinished(String instanceId);
}

package dev.coffer.server.tasks;

/**
 * Does one type of task. {@link #run} must be idempotent: after a crash it runs again from the
 * start, so each step checks whether it already happened.
 */
public interface TaskHandler {
  TaskType type();

  /** Does the work; throwing means "retry later" until attempts or the deadline run out. */
  void run(Task task) throws Exception;

  /** Called once when the task will not be retried: leave a clear status and fault message. */
  void giveUp(Task task, String reason);
}

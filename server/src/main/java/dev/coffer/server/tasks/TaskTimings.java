package dev.coffer.server.tasks;

import java.time.Duration;

/** Told how long each run of a task took and how it ended, for the control plane's metrics. */
@FunctionalInterface
public interface TaskTimings {
  /**
   * @param outcome {@code done}, {@code retry} (failed, will run again) or {@code failed}
   */
  void finished(TaskType type, String outcome, Duration took);

  TaskTimings NONE = (type, outcome, took) -> {};
}

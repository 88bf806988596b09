package dev.coffer.server.tasks;

public enum TaskState {
  PENDING,
  RUNNING,
  DONE,
  FAILED
}

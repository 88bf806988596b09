package dev.coffer.server.logging;

/** The MDC keys that tie log lines together (fields of JSON lines; see docs/operations.md). */
public final class LogIds {
  /** The API request being handled, or that caused the task running. */
  public static final String REQUEST_ID = "request_id";

  /** The instance a task or an agent works on. */
  public static final String INSTANCE_ID = "instance_id";

  /** The cluster a cluster task works on. */
  public static final String CLUSTER_ID = "cluster_id";

  private LogIds() {}
}

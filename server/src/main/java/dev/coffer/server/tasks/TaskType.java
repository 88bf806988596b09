package dev.coffer.server.tasks;

import java.time.Duration;

/** The long operations; each has one handler, a retry budget and a deadline. */
public enum TaskType {
  CREATE_INSTANCE(5, Duration.ofMinutes(10)),
  DELETE_INSTANCE(10, Duration.ofMinutes(10)),
  RESTART_INSTANCE(3, Duration.ofMinutes(5)),
  BACKUP_INSTANCE(1, Duration.ofHours(6)),
  VERIFY_BACKUP(1, Duration.ofHours(6)),
  CREATE_REPLICA(5, Duration.ofHours(6)),
  SWITCHOVER(3, Duration.ofMinutes(5)),
  FAILOVER(5, Duration.ofMinutes(5)),
  DETACH_REPLICA(5, Duration.ofMinutes(10)),
  REJOIN(100, Duration.ofHours(24)),
  CONFIGURE_INSTANCE(3, Duration.ofMinutes(10)),
  RESIZE_VOLUME(3, Duration.ofMinutes(10)),
  RESIZE_FLAVOR(3, Duration.ofMinutes(15)),
  // Waits (by retrying) for its pre-upgrade backup, which is another task of the same instance.
  UPGRADE_INSTANCE(500, Duration.ofHours(12)),
  // Cluster tasks carry the cluster's id where other tasks carry an instance's: one runs at a time.
  CREATE_CLUSTER(3, Duration.ofMinutes(30)),
  GROW_CLUSTER(3, Duration.ofMinutes(30)),
  SHRINK_CLUSTER(3, Duration.ofMinutes(30)),
  DELETE_CLUSTER(10, Duration.ofMinutes(15)),
  // Backs up an expired instance, then deletes it; waits (by retrying) for its backup task.
  EXPIRE_INSTANCE(500, Duration.ofHours(12));

  private final int maxAttempts;
  private final Duration timeout;

  TaskType(int maxAttempts, Duration timeout) {
    this.maxAttempts = maxAttempts;
    this.timeout = timeout;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration timeout() {
    return timeout;
  }
}

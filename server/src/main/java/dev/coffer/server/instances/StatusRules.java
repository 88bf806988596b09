package dev.coffer.server.instances;

import java.time.Duration;
import java.time.Instant;

/**
 * Derives the API's {@code status} and {@code operating_status} from the task and the engine's
 * reported health, in Trove's precedence (first match wins). Coffer has no Nova server status: the
 * agent's heartbeat stands in for it, so a dead engine shows SHUTDOWN rather than ACTIVE.
 */
public final class StatusRules {
  /** Heartbeats come every 2 s; this many seconds of silence means the agent is gone. */
  public static final Duration HEARTBEAT_EXPIRY = Duration.ofSeconds(20);

  private StatusRules() {}

  public static String status(Instance i, Instant now) {
    return status(i, now, false);
  }

  /**
   * @param backupRunning whether a backup of this instance is NEW or BUILDING
   */
  public static String status(Instance i, Instant now, boolean backupRunning) {
    if (i.task().isError()) {
      return "ERROR";
    }
    switch (i.task()) {
      case BUILDING:
        return "BUILD";
      case REBOOTING:
        return "REBOOT";
      case RESIZING:
        return "RESIZE";
      case UPGRADING:
        return "UPGRADE";
      case DELETING:
        return "SHUTDOWN";
      case PROMOTING:
        return "PROMOTE";
      case EJECTING:
        return "EJECT";
      case DETACHING:
        return "DETACH";
      default:
        break;
    }
    if (heartbeatExpired(i, now)) {
      return "SHUTDOWN";
    }
    if (backupRunning && i.service() == ServiceStatus.RUNNING) {
      return "BACKUP";
    }
    return switch (i.service()) {
      case RUNNING -> "ACTIVE";
      case NEW, BUILDING -> "BUILD";
      case SHUTDOWN, DELETED -> "SHUTDOWN";
      case FAILED -> "ERROR";
    };
  }

  public static String operatingStatus(Instance i, Instant now) {
    if (i.task() != TaskStatus.NONE) {
      return "";
    }
    if (heartbeatExpired(i, now)) {
      return "ERROR";
    }
    return i.service().label();
  }

  public static boolean heartbeatExpired(Instance i, Instant now) {
    Instant last = i.heartbeatAt() != null ? i.heartbeatAt() : i.serviceStatusUpdated();
    return i.task() == TaskStatus.NONE
        && last != null
        && Duration.between(last, now).compareTo(HEARTBEAT_EXPIRY) > 0;
  }

  /** Users, databases and root calls need a healthy engine and no running task (Trove gate D). */
  public static boolean acceptsGuestCalls(Instance i, Instant now) {
    return i.task() == TaskStatus.NONE
        && i.service() == ServiceStatus.RUNNING
        && !heartbeatExpired(i, now);
  }
}

package dev.coffer.server.instances;

import dev.coffer.api.agent.EngineStatus;

/** The engine's health as last reported by the agent (Trove's ServiceStatuses). */
public enum ServiceStatus {
  NEW("NEW"),
  BUILDING("BUILD"),
  RUNNING("HEALTHY"),
  SHUTDOWN("SHUTDOWN"),
  FAILED("FAILED"),
  DELETED("DELETED");

  private final String label;

  ServiceStatus(String label) {
    this.label = label;
  }

  /** The value shown in {@code operating_status}. */
  public String label() {
    return label;
  }

  public static ServiceStatus of(EngineStatus status) {
    return switch (status) {
      case BUILDING -> BUILDING;
      case RUNNING -> RUNNING;
      case SHUTDOWN -> SHUTDOWN;
      case FAILED -> FAILED;
    };
  }
}

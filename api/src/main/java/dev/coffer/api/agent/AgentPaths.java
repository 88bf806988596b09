package dev.coffer.api.agent;

/**
 * The HTTP paths the agent calls on the control plane. Every call carries {@code Authorization:
 * Bearer <per-instance secret>}.
 */
public final class AgentPaths {
  private AgentPaths() {}

  /** POST a {@link Heartbeat}; answers 204. */
  public static String heartbeat(String instanceId) {
    return "/agent/v1/instances/" + instanceId + "/heartbeat";
  }

  /**
   * GET the next {@link AgentCommand}; long-polls up to {@code waitSeconds}; answers 200 with a
   * command or 204 when there is none.
   */
  public static String nextCommand(String instanceId, int waitSeconds) {
    return "/agent/v1/instances/" + instanceId + "/commands/next?waitSeconds=" + waitSeconds;
  }

  /** POST a {@link CommandResult}; answers 204 (also for a result already recorded). */
  public static String result(String instanceId, String commandId) {
    return "/agent/v1/instances/" + instanceId + "/commands/" + commandId + "/result";
  }
}

package dev.coffer.server.compute;

/**
 * Where an instance runs once placed.
 *
 * @param agentSecret the secret its agent presents; the control plane stores only its hash
 * @param agentStarted true if this call had to start the agent process
 */
public record Placement(int port, String agentSecret, boolean agentStarted) {
  @Override
  public String toString() {
    return "Placement[port=" + port + ", agentStarted=" + agentStarted + "]";
  }
}

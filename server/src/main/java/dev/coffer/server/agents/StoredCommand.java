package dev.coffer.server.agents;

import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.ErrorKind;

/** A command row: PENDING → DELIVERED → DONE (or CANCELLED when nobody waits any more). */
public record StoredCommand(
    String id,
    String instanceId,
    CommandType type,
    String payload,
    String state,
    String result,
    ErrorKind errorKind,
    String error) {

  public boolean done() {
    return "DONE".equals(state);
  }

  @Override
  public String toString() {
    return "StoredCommand[id=%s, type=%s, state=%s]".formatted(id, type, state);
  }
}

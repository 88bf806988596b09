package dev.coffer.api.agent;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The agent's answer to one command. When {@code ok} is false, {@code errorKind} says how the
 * control plane should report it and {@code error} is a message fit for the API user (never a
 * secret, never a stack trace).
 */
public record CommandResult(boolean ok, JsonNode result, ErrorKind errorKind, String error) {

  public static CommandResult success(JsonNode result) {
    return new CommandResult(true, result, null, null);
  }

  public static CommandResult failure(ErrorKind kind, String message) {
    return new CommandResult(false, null, kind, message);
  }
}

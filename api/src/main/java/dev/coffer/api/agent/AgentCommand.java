package dev.coffer.api.agent;

import com.fasterxml.jackson.databind.JsonNode;

/** One command for an agent. {@code payload} is null for commands that take none. */
public record AgentCommand(String id, CommandType type, JsonNode payload) {}

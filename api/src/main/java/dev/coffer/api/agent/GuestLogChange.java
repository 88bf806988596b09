package dev.coffer.api.agent;

/** Payload of {@link CommandType#SET_LOG}. */
public record GuestLogChange(String name, boolean enabled) {}

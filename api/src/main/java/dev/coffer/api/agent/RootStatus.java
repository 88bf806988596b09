package dev.coffer.api.agent;

/** Whether the root user has been enabled. */
public record RootStatus(boolean enabled) {}

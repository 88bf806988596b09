package dev.coffer.api.agent;

/**
 * Result of {@link CommandType#CHECK_DATA}: the engine's own consistency check over the user data,
 * and how many rows (SQL engines) or keys (Redis) there are.
 */
public record DataCheck(boolean consistent, long count, String detail) {}

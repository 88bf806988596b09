package dev.coffer.api.agent;

/**
 * Result of {@link CommandType#FLUSH_LOG_ARCHIVE}.
 *
 * @param archivedUntil every change made before this instant (ISO-8601) is in the backup store
 */
public record LogArchiveStatus(String archivedUntil) {}

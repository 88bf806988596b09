package dev.coffer.api.agent;

/**
 * One log an engine keeps, as its agent sees it now.
 *
 * @param name the log's name in Trove's API ({@code general}, {@code slow_query}, {@code error}…)
 * @param enabled whether the engine writes to it (always true for {@link GuestLogType#SYS})
 * @param size the log file's size in bytes (0 if it does not exist yet)
 * @param headDigest SHA-256 (hex) of the file's first line, empty for an empty file: when it
 *     changes, the file was rotated or truncated and what was published is of an older file
 */
public record GuestLog(
    String name, GuestLogType type, boolean enabled, long size, String headDigest) {}

package dev.coffer.api.agent;

/**
 * Sent by the agent every few seconds and immediately on any engine status change.
 *
 * @param volumeUsedBytes bytes used by the instance's data directory
 * @param message human-readable detail, for example why the engine is down; never a secret
 */
public record Heartbeat(EngineStatus status, long volumeUsedBytes, String message) {}

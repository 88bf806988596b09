package dev.coffer.api.agent;

/**
 * Sent by the agent every few seconds and immediately on any engine status change.
 *
 * @param volumeUsedBytes bytes used by the instance's data directory
 * @param message human-readable detail, for example why the engine is down; never a secret
 * @param logArchivedUntil for engines that archive their change log: every change made before this
 *     instant (ISO-8601) is in the backup store, so it is the latest restorable time; else null
 * @param replication for engines that replicate, their role, lag and position; else null
 * @param metrics the running engine's connections and operations; null when not running or the
 *     engine does not report them
 */
public record Heartbeat(
    EngineStatus status,
    long volumeUsedBytes,
    String message,
    String logArchivedUntil,
    ReplicationStatus replication,
    EngineMetrics metrics) {
  public Heartbeat(EngineStatus status, long volumeUsedBytes, String message) {
    this(status, volumeUsedBytes, message, null, null, null);
  }

  /** The same heartbeat with the log archive's position. */
  public Heartbeat withLogArchivedUntil(String instant) {
    return new Heartbeat(status, volumeUsedBytes, message, instant, replication, metrics);
  }

  /** The same heartbeat with the engine's replication state. */
  public Heartbeat withReplication(ReplicationStatus state) {
    return new Heartbeat(status, volumeUsedBytes, message, logArchivedUntil, state, metrics);
  }

  /** The same heartbeat with the engine's load. */
  public Heartbeat withMetrics(EngineMetrics load) {
    return new Heartbeat(status, volumeUsedBytes, message, logArchivedUntil, replication, load);
  }
}

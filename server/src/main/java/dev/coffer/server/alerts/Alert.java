package dev.coffer.server.alerts;

import java.time.Instant;

/**
 * A built-in rule firing for one instance.
 *
 * @param kind {@code volume_full}, {@code replication_lag}, {@code backup_stale} or {@code
 *     not_active}; the event announcing it is {@code alert.<kind>}
 */
public record Alert(
    String instanceId, String kind, String projectId, String message, Instant startedAt) {

  /** Identifies the alert: one per rule and instance. */
  public record Key(String instanceId, String kind) {}

  public Key key() {
    return new Key(instanceId, kind);
  }
}

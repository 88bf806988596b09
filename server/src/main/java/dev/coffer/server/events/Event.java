package dev.coffer.server.events;

import java.time.Instant;
import java.util.Map;

/**
 * Something an operator or a project wants to know happened to a resource: a status change, a
 * fault, a backup, a failover, an expiry warning, an alert. Never carries a secret.
 *
 * @param projectId the project that owns the target (events are shown to that project)
 * @param targetType {@code instance}, {@code cluster}, {@code backup} or {@code project}
 * @param type a dotted name such as {@code instance.status_changed} or {@code alert.volume_full}
 * @param severity {@code info}, {@code warning} or {@code error}
 * @param details small scalar values (ids, numbers, statuses) that webhooks receive as they are
 */
public record Event(
    String projectId,
    String targetType,
    String targetId,
    String type,
    String severity,
    String message,
    Map<String, Object> details,
    Instant at) {
  public Event {
    details = Map.copyOf(details);
  }
}

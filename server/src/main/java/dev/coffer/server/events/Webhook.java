package dev.coffer.server.events;

import java.time.Instant;
import java.util.List;

/**
 * A receiver of events over HTTP.
 *
 * @param projectId the project whose events it receives; empty for an administrator's hook that
 *     receives every project's events
 * @param eventTypes the event types it receives; empty for all
 * @param wrappedSecret its signing secret, wrapped with the master key (shown in clear only once)
 */
public record Webhook(
    String id,
    String projectId,
    String url,
    List<String> eventTypes,
    String wrappedSecret,
    String createdBy,
    Instant createdAt) {
  public Webhook {
    eventTypes = List.copyOf(eventTypes);
  }

  public boolean allProjects() {
    return projectId == null || projectId.isEmpty();
  }

  public boolean wants(Event event) {
    return (allProjects() || projectId.equals(event.projectId()))
        && (eventTypes.isEmpty() || eventTypes.contains(event.type()));
  }

  @Override
  public String toString() {
    return "Webhook[id=%s, project=%s, url=%s]".formatted(id, projectId, url);
  }
}

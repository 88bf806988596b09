package dev.coffer.server.events;

import dev.coffer.server.clusters.ClusterRepository;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Wire;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.InstanceRepository;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The events API (native extensions): an instance's and a cluster's events under Trove's paths, and
 * a project's events at {@code GET /coffer/v1/events}; oldest first, so a client can follow with
 * {@code marker} (the last event id it saw) or {@code since}.
 */
public final class EventRoutes {
  private final EventLog events;
  private final InstanceRepository instances;
  private final ClusterRepository clusters;

  public EventRoutes(EventLog events, InstanceRepository instances, ClusterRepository clusters) {
    this.events = events;
    this.instances = instances;
    this.clusters = clusters;
  }

  public void register(Javalin app) {
    app.get(
        "/v1.0/{project_id}/instances/{id}/events",
        ctx -> {
          Principal p = Authentication.principal(ctx);
          String id = ctx.pathParam("id");
          boolean known = instances.find(p.projectId(), id).isPresent();
          list(ctx, p, Optional.of(id), known, "Instance " + id + " could not be found.");
        });
    app.get(
        "/v1.0/{project_id}/clusters/{id}/events",
        ctx -> {
          Principal p = Authentication.principal(ctx);
          String id = ctx.pathParam("id");
          boolean known = clusters.find(p.projectId(), id).isPresent();
          list(ctx, p, Optional.of(id), known, "Cluster " + id + " could not be found.");
        });
    app.get(
        "/coffer/v1/events",
        ctx ->
            list(
                ctx,
                Authentication.principal(ctx),
                Optional.ofNullable(ctx.queryParam("target")).filter(t -> !t.isBlank()),
                true,
                ""));
  }

  /**
   * @param known whether the target exists now; a deleted target's events stay readable, an unknown
   *     target (no events in this project) is a 404
   */
  private void list(
      Context ctx, Principal p, Optional<String> target, boolean known, String notFound) {
    int limit = Wire.limit(ctx.queryParam("limit"));
    Optional<String> marker =
        Optional.ofNullable(ctx.queryParam("marker")).filter(m -> !m.isBlank());
    List<StoredEvent> page =
        events.find(
            new EventLog.Filter(
                p.projectId(),
                target,
                Optional.ofNullable(ctx.queryParam("type")).filter(t -> !t.isBlank()),
                Optional.ofNullable(ctx.queryParam("since"))
                    .filter(s -> !s.isBlank())
                    .map(s -> since(s)),
                marker,
                limit));
    if (!known && page.isEmpty() && marker.isEmpty()) {
      throw new ApiException.NotFound(notFound);
    }
    List<Map<String, Object>> views = new ArrayList<>();
    page.forEach(e -> views.add(view(e)));
    ctx.json(Map.of("events", views));
  }

  private static Instant since(String raw) {
    try {
      return Instant.parse(raw.endsWith("Z") ? raw : raw + "Z");
    } catch (java.time.format.DateTimeParseException e) {
      throw new ApiException.BadRequest(
          "Validation error: since must be a UTC time such as 2026-11-26T02:00:00Z.");
    }
  }

  /** An instance's latest events for its detail view, newest first. */
  public List<Map<String, Object>> recent(dev.coffer.server.instances.Instance instance) {
    List<Map<String, Object>> views = new ArrayList<>();
    events.recent(instance.projectId(), instance.id(), 5).forEach(e -> views.add(view(e)));
    return views;
  }

  static Map<String, Object> view(StoredEvent stored) {
    Event e = stored.event();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", stored.id());
    m.put("type", e.type());
    m.put("target_type", e.targetType());
    m.put("target_id", e.targetId());
    m.put("severity", e.severity());
    m.put("message", e.message());
    m.put("details", e.details());
    m.put("time", e.at().toString());
    return m;
  }
}

package dev.coffer.server.alerts;

import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /coffer/v1/alerts}: the built-in alerts firing now; an admin sees every project's,
 * anyone else their own project's.
 */
public final class AlertRoutes {
  private final AlertEvaluator alerts;

  public AlertRoutes(AlertEvaluator alerts) {
    this.alerts = alerts;
  }

  public void register(Javalin app) {
    app.get("/coffer/v1/alerts", this::list);
  }

  private void list(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    List<Map<String, Object>> views =
        alerts
            .active(principal.isAdmin() ? Optional.empty() : Optional.of(principal.projectId()))
            .stream()
            .map(AlertRoutes::view)
            .toList();
    ctx.json(Map.of("alerts", views));
  }

  private static Map<String, Object> view(Alert a) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("instance_id", a.instanceId());
    out.put("project_id", a.projectId());
    out.put("kind", a.kind());
    out.put("event", "alert." + a.kind());
    out.put("message", a.message());
    out.put("started", a.startedAt().toString());
    return out;
  }
}

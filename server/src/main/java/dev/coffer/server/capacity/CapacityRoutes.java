package dev.coffer.server.capacity;

import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.Map;

/**
 * Capacity planning (native extensions): {@code GET /v1.0/{project_id}/instances/{id}/capacity} for
 * one instance's growth and days until full, {@code GET /coffer/v1/capacity} for the caller's
 * project (an admin may name another with {@code ?project_id=}).
 */
public final class CapacityRoutes {
  private final CapacityService capacity;

  public CapacityRoutes(CapacityService capacity) {
    this.capacity = capacity;
  }

  public void register(Javalin app) {
    app.get("/v1.0/{project_id}/instances/{id}/capacity", this::instance);
    app.get("/coffer/v1/capacity", this::project);
  }

  private void instance(Context ctx) {
    ctx.json(
        Map.of("capacity", capacity.instance(Authentication.principal(ctx), ctx.pathParam("id"))));
  }

  private void project(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String project = ctx.queryParam("project_id");
    if (project == null || project.equals(principal.projectId())) {
      project = principal.projectId();
    } else if (!principal.isAdmin()) {
      throw new ApiException.Forbidden(
          "Only an admin may see another project's capacity ('project_id').");
    }
    ctx.json(Map.of("capacity", capacity.project(project)));
  }
}

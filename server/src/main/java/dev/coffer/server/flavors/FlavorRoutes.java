package dev.coffer.server.flavors;

import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Links;
import dev.coffer.server.identity.Authentication;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

public final class FlavorRoutes {
  private final FlavorCatalog flavors;

  public FlavorRoutes(FlavorCatalog flavors) {
    this.flavors = flavors;
  }

  public void register(Javalin app) {
    app.get(
        "/v1.0/{project_id}/flavors",
        ctx -> ctx.json(Map.of("flavors", flavors.all().stream().map(f -> view(ctx, f)).toList())));
    app.get("/v1.0/{project_id}/flavors/{id}", this::show);
    app.get(
        "/v1.0/{project_id}/datastores/{ds}/versions/{version}/flavors",
        ctx -> ctx.json(Map.of("flavors", flavors.all().stream().map(f -> view(ctx, f)).toList())));
  }

  private void show(Context ctx) {
    String id = ctx.pathParam("id");
    Flavor flavor =
        flavors
            .byId(id)
            .orElseThrow(() -> new ApiException.NotFound("Flavor " + id + " could not be found."));
    ctx.json(Map.of("flavor", view(ctx, flavor)));
  }

  public static Map<String, Object> view(Context ctx, Flavor f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", Integer.parseInt(f.id()));
    m.put("str_id", f.id());
    m.put("name", f.name());
    m.put("ram", f.ramMb());
    m.put("vcpus", f.vcpus());
    m.put("disk", f.diskGb());
    m.put("ephemeral", 0);
    m.put("links", Links.of(ctx, Authentication.principal(ctx).projectId(), "flavors/" + f.id()));
    return m;
  }
}

package dev.coffer.server.configurations;

import dev.coffer.api.datastores.ParameterSpec;
import dev.coffer.server.datastores.Datastore;
import dev.coffer.server.datastores.DatastoreCatalog;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Wire;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trove's configuration groups ({@code /configurations}), the parameter catalogs ({@code
 * /datastores/…/parameters}) and an instance's effective configuration ({@code
 * /instances/{id}/configuration}).
 */
public final class ConfigurationRoutes {
  private final ConfigurationService configurations;
  private final DatastoreCatalog datastores;

  public ConfigurationRoutes(ConfigurationService configurations, DatastoreCatalog datastores) {
    this.configurations = configurations;
    this.datastores = datastores;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/configurations";
    app.post(base, this::create);
    app.get(base, this::list);
    app.get(base + "/{id}", this::show);
    app.put(base + "/{id}", ctx -> update(ctx, false));
    app.patch(base + "/{id}", ctx -> update(ctx, true));
    app.delete(base + "/{id}", this::delete);
    app.get(base + "/{id}/instances", this::instances);
    String ds = "/v1.0/{project_id}/datastores";
    app.get(ds + "/{ds}/versions/{version}/parameters", this::parametersByName);
    app.get(ds + "/{ds}/versions/{version}/parameters/{name}", this::parameterByName);
    app.get(ds + "/versions/{version_id}/parameters", this::parametersById);
    app.get(ds + "/versions/{version_id}/parameters/{name}", this::parameterById);
    app.get("/v1.0/{project_id}/instances/{id}/configuration", this::effective);
  }

  private void create(Context ctx) {
    ConfigurationGroup group =
        configurations.create(Authentication.principal(ctx), Fields.body(ctx, "configuration"));
    ctx.status(200).json(Map.of("configuration", view(group, true)));
  }

  private void list(Context ctx) {
    List<Map<String, Object>> views = new ArrayList<>();
    configurations.list(Authentication.principal(ctx)).forEach(g -> views.add(view(g, false)));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("configurations", views);
    body.put("links", List.of());
    ctx.json(body);
  }

  private void show(Context ctx) {
    ConfigurationGroup group =
        configurations.get(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.json(Map.of("configuration", view(group, true)));
  }

  private void update(Context ctx, boolean merge) {
    configurations.update(
        Authentication.principal(ctx),
        ctx.pathParam("id"),
        Fields.body(ctx, "configuration"),
        merge);
    ctx.status(merge ? 200 : 202);
  }

  private void delete(Context ctx) {
    configurations.delete(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.status(202);
  }

  private void instances(Context ctx) {
    List<Map<String, Object>> views = new ArrayList<>();
    for (Instance i :
        configurations.instancesOf(Authentication.principal(ctx), ctx.pathParam("id"))) {
      views.add(Map.of("id", i.id(), "name", i.name()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("instances", views);
    body.put("links", List.of());
    ctx.json(body);
  }

  private void effective(Context ctx) {
    Map<String, Object> values =
        configurations.effective(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.json(Map.of("instance", Map.of("configuration", values)));
  }

  private DatastoreVersion versionByName(Context ctx) {
    Datastore ds = datastores.datastore(ctx.pathParam("ds"));
    return datastores.version(ds, ctx.pathParam("version"), admin(ctx));
  }

  private DatastoreVersion versionById(Context ctx) {
    return datastores.version(ctx.pathParam("version_id"), admin(ctx));
  }

  private static boolean admin(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    return principal.isAdmin();
  }

  private void parametersByName(Context ctx) {
    parameters(ctx, versionByName(ctx));
  }

  private void parametersById(Context ctx) {
    parameters(ctx, versionById(ctx));
  }

  private void parameterByName(Context ctx) {
    parameter(ctx, versionByName(ctx));
  }

  private void parameterById(Context ctx) {
    parameter(ctx, versionById(ctx));
  }

  private void parameters(Context ctx, DatastoreVersion version) {
    List<Map<String, Object>> views = new ArrayList<>();
    configurations.catalogOf(version).forEach(p -> views.add(parameterView(p, version)));
    ctx.json(Map.of("configuration-parameters", views));
  }

  private void parameter(Context ctx, DatastoreVersion version) {
    String name = ctx.pathParam("name");
    ParameterSpec spec =
        ParameterValidation.find(configurations.catalogOf(version), name)
            .orElseThrow(
                () ->
                    new ApiException.NotFound(
                        "Configuration parameter "
                            + name
                            + " could not be found for "
                            + ConfigurationService.label(version)
                            + "."));
    ctx.json(parameterView(spec, version));
  }

  private static Map<String, Object> parameterView(ParameterSpec p, DatastoreVersion version) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("type", p.type());
    m.put("restart_required", p.restartRequired());
    if (p.min() != null) {
      m.put("min", number(p.min()));
    }
    if (p.max() != null) {
      m.put("max", number(p.max()));
    }
    m.put("datastore_version_id", version.id());
    // Native extension: what a string accepts, units, and defaults that follow the flavor.
    if (!p.allowed().isEmpty()) {
      m.put("allowed_values", p.allowed());
    }
    if (!p.unit().isEmpty()) {
      m.put("unit", p.unit());
    }
    if (!p.flavorDefault().isEmpty()) {
      m.put("default_from_flavor", p.flavorDefault());
    }
    m.put("description", p.description());
    return m;
  }

  private static Object number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 9e15 ? (Object) (long) d : (Object) d;
  }

  private Map<String, Object> view(ConfigurationGroup g, boolean detailed) {
    DatastoreVersion version = datastores.version(g.datastoreVersionId(), true);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", g.id());
    m.put("name", g.name());
    m.put("description", g.description());
    m.put("created", Wire.time(g.createdAt()));
    m.put("updated", Wire.time(g.updatedAt()));
    m.put("datastore_version_id", version.id());
    m.put("datastore_name", version.datastoreName());
    m.put("datastore_version_name", version.name());
    if (detailed) {
      m.put("values", g.values());
      m.put("instance_count", configurations.instanceCount(g.id()));
    }
    m.put("datastore_version_number", version.name());
    return m;
  }
}

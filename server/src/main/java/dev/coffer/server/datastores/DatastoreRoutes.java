package dev.coffer.server.datastores;

import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Links;
import dev.coffer.server.identity.Authentication;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Trove's datastore API plus the operator's native catalog management. */
public final class DatastoreRoutes {
  private final DatastoreCatalog catalog;

  public DatastoreRoutes(DatastoreCatalog catalog) {
    this.catalog = catalog;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/datastores";
    app.get(base, this::list);
    app.get(base + "/versions/{version_id}", this::showVersionById);
    app.get(base + "/{ds}", this::show);
    app.get(base + "/{ds}/versions", this::listVersions);
    app.get(base + "/{ds}/versions/{version}", this::showVersion);
    app.patch("/coffer/v1/datastores/{ds}/versions/{version}", this::manageVersion);
  }

  private boolean admin(Context ctx) {
    return Authentication.principal(ctx).isAdmin();
  }

  private void list(Context ctx) {
    List<Map<String, Object>> all =
        catalog.datastores().stream()
            .map(ds -> datastoreView(ctx, ds))
            .filter(v -> !((List<?>) v.get("versions")).isEmpty())
            .toList();
    ctx.json(Map.of("datastores", all, "links", List.of()));
  }

  private void show(Context ctx) {
    ctx.json(Map.of("datastore", datastoreView(ctx, catalog.datastore(ctx.pathParam("ds")))));
  }

  private void listVersions(Context ctx) {
    Datastore ds = catalog.datastore(ctx.pathParam("ds"));
    ctx.json(
        Map.of(
            "versions",
            catalog.versions(ds, admin(ctx)).stream().map(v -> versionView(ctx, v, true)).toList(),
            "links",
            List.of()));
  }

  private void showVersion(Context ctx) {
    Datastore ds = catalog.datastore(ctx.pathParam("ds"));
    ctx.json(
        Map.of(
            "version",
            versionView(ctx, catalog.version(ds, ctx.pathParam("version"), admin(ctx)), true)));
  }

  private void showVersionById(Context ctx) {
    ctx.json(
        Map.of(
            "version",
            versionView(ctx, catalog.version(ctx.pathParam("version_id"), admin(ctx)), true)));
  }

  /** Operator action: {@code {"state": "active|hidden|deprecated", "default": true}}. */
  private void manageVersion(Context ctx) {
    Authentication.admin(ctx);
    Datastore ds = catalog.datastore(ctx.pathParam("ds"));
    DatastoreVersion version = catalog.version(ds, ctx.pathParam("version"), true);
    Fields body = Fields.body(ctx);
    body.optionalString("state", 16)
        .ifPresent(
            s -> {
              VersionState state;
              try {
                state = VersionState.valueOf(s.toUpperCase(java.util.Locale.ROOT));
              } catch (IllegalArgumentException e) {
                throw Fields.invalid("state", "must be one of active, hidden, deprecated");
              }
              catalog.setState(version, state);
            });
    if (body.optionalBoolean("default").orElse(false)) {
      catalog.setDefault(ds, version);
    }
    ctx.json(Map.of("version", versionView(ctx, catalog.version(version.id(), true), true)));
  }

  private Map<String, Object> datastoreView(Context ctx, Datastore ds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", ds.id());
    m.put("name", ds.name());
    m.put("links", Links.of(ctx, ctx.pathParam("project_id"), "datastores/" + ds.id()));
    m.put(
        "versions",
        catalog.versions(ds, admin(ctx)).stream().map(v -> versionView(ctx, v, false)).toList());
    if (ds.defaultVersionId() != null) {
      m.put("default_version", ds.defaultVersionId());
    }
    return m;
  }

  private Map<String, Object> versionView(Context ctx, DatastoreVersion v, boolean withDatastore) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("name", v.name());
    m.put("version", v.name());
    m.put("links", Links.of(ctx, ctx.pathParam("project_id"), "datastores/versions/" + v.id()));
    if (withDatastore) {
      m.put("datastore", v.datastoreId());
    }
    m.put("active", v.usableForNewInstances() ? 1 : 0);
    m.put("packages", "");
    m.put("image", "");
    m.put("registry_ext", "");
    m.put("repl_strategy", "");
    m.put("image_tags", List.of());
    m.put("state", v.state().name().toLowerCase(java.util.Locale.ROOT));
    m.put("installed", v.installed());
    m.put("full_version", v.fullVersion());
    return m;
  }
}

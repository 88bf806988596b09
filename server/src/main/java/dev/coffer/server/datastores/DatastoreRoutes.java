package dev.coffer.server.datastores;

import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Links;
import dev.coffer.server.identity.Authentication;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
    app.post("/coffer/v1/datastores/{ds}/versions", this::addVersion);
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
            catalog.versionsFor(ds, Authentication.principal(ctx)).stream()
                .map(v -> versionView(ctx, v, true))
                .toList(),
            "links",
            List.of()));
  }

  private void showVersion(Context ctx) {
    Datastore ds = catalog.datastore(ctx.pathParam("ds"));
    ctx.json(
        Map.of(
            "version",
            versionView(
                ctx,
                catalog.versionFor(ds, ctx.pathParam("version"), Authentication.principal(ctx)),
                true)));
  }

  private void showVersionById(Context ctx) {
    ctx.json(
        Map.of(
            "version",
            versionView(
                ctx,
                catalog.versionFor(ctx.pathParam("version_id"), Authentication.principal(ctx)),
                true)));
  }

  /**
   * Operator action: {@code {"state": "active|evaluation|hidden|deprecated", "visibility":
   * "public|projects", "projects": ["<project id>", ...], "default": true}}, each optional.
   */
  private void manageVersion(Context ctx) {
    Authentication.admin(ctx);
    Datastore ds = catalog.datastore(ctx.pathParam("ds"));
    DatastoreVersion version = catalog.version(ds, ctx.pathParam("version"), true);
    Fields body = Fields.body(ctx);
    Optional<VersionState> state = body.optionalString("state", 16).map(DatastoreRoutes::state);
    Optional<Visibility> visibility =
        body.optionalString("visibility", 16).map(DatastoreRoutes::visibility);
    List<String> listed = body.strings("projects", 1000, 64);
    for (int i = 0; i < listed.size(); i++) {
      if (!catalog.projectExists(listed.get(i))) {
        throw Fields.invalid(
            body.at("projects") + "[" + i + "]", "'" + listed.get(i) + "' is not a project id");
      }
    }
    Set<String> projects = new TreeSet<>(listed);
    if (visibility.isPresent() && visibility.get() == Visibility.PROJECTS && projects.isEmpty()) {
      throw Fields.invalid(
          body.at("projects"), "must list at least one project id when visibility is 'projects'");
    }
    if (visibility.isEmpty() && body.has("projects")) {
      throw Fields.invalid(body.at("visibility"), "must be 'projects' when 'projects' is given");
    }
    boolean makeDefault = body.optionalBoolean("default").orElse(false);
    state.ifPresent(s -> catalog.setState(version, s));
    visibility.ifPresent(v -> catalog.setVisibility(version, v, projects));
    if (makeDefault) {
      catalog.setDefault(ds, version);
    }
    ctx.json(Map.of("version", versionView(ctx, catalog.version(version.id(), true), true)));
  }

  /**
   * Operator action, like {@code trove-manage datastore_version_update}: registers (or updates) a
   * version of a known datastore with the executables that run it. {@code {"name": "10.11-lts",
   * "binaries": {"server": "/opt/mariadb/bin/mariadbd", ...}, "default": false}}.
   */
  private void addVersion(Context ctx) {
    Authentication.admin(ctx);
    String datastore = ctx.pathParam("ds");
    Fields body = Fields.body(ctx, "version");
    String name = body.string("name", 64);
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw Fields.invalid(
          body.at("name"),
          "must start with a letter or digit and contain only letters, digits, '.', '_' or '-'");
    }
    Fields binaries = body.object("binaries");
    Map<String, String> paths = new TreeMap<>();
    binaries
        .node()
        .fieldNames()
        .forEachRemaining(role -> paths.put(role, binaries.string(role, 1024)));
    if (paths.isEmpty()) {
      throw Fields.invalid(binaries.path(), "must name at least the 'server' executable");
    }
    paths.forEach(
        (role, path) -> {
          if (!role.matches("[a-z_]{1,32}")) {
            throw Fields.invalid(binaries.at(role), "is not a valid role name");
          }
          if (!path.startsWith("/")
              || !Files.isExecutable(Path.of(path))
              || Files.isDirectory(Path.of(path))) {
            throw Fields.invalid(
                binaries.at(role), "'" + path + "' is not an executable file on this host");
          }
        });
    String fullVersion = body.optionalString("full_version", 128).orElse(name);
    boolean makeDefault = body.optionalBoolean("default").orElse(false);
    DatastoreVersion version = catalog.register(datastore, name, fullVersion, paths, true);
    if (makeDefault) {
      catalog.setDefault(catalog.datastore(datastore), version);
    }
    ctx.status(201)
        .json(Map.of("version", versionView(ctx, catalog.version(version.id(), true), true)));
  }

  private static VersionState state(String value) {
    try {
      return VersionState.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw Fields.invalid("state", "must be one of active, evaluation, hidden, deprecated");
    }
  }

  private static Visibility visibility(String value) {
    try {
      return Visibility.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw Fields.invalid("visibility", "must be one of public, projects");
    }
  }

  private Map<String, Object> datastoreView(Context ctx, Datastore ds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", ds.id());
    m.put("name", ds.name());
    m.put(
        "links", Links.of(ctx, Authentication.principal(ctx).projectId(), "datastores/" + ds.id()));
    List<DatastoreVersion> versions = catalog.versionsFor(ds, Authentication.principal(ctx));
    m.put("versions", versions.stream().map(v -> versionView(ctx, v, false)).toList());
    // A default the caller is not offered is not the caller's default.
    if (versions.stream().anyMatch(v -> v.id().equals(ds.defaultVersionId()))) {
      m.put("default_version", ds.defaultVersionId());
    }
    return m;
  }

  private Map<String, Object> versionView(Context ctx, DatastoreVersion v, boolean withDatastore) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("name", v.name());
    m.put("version", v.name());
    m.put(
        "links",
        Links.of(ctx, Authentication.principal(ctx).projectId(), "datastores/versions/" + v.id()));
    if (withDatastore) {
      m.put("datastore", v.datastoreId());
    }
    m.put("active", v.usableForNewInstances() ? 1 : 0);
    m.put("packages", "");
    m.put("image", "");
    m.put("registry_ext", "");
    m.put("repl_strategy", "");
    m.put("image_tags", List.of());
    m.put("state", v.state().name().toLowerCase(Locale.ROOT));
    m.put("installed", v.installed());
    m.put("full_version", v.fullVersion());
    m.put("visibility", v.visibility().name().toLowerCase(Locale.ROOT));
    if (admin(ctx)) {
      // Other projects' ids are for operators only.
      m.put("projects", List.copyOf(v.projects()));
    }
    return m;
  }
}

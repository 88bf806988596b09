package dev.coffer.server.backups;

import dev.coffer.server.datastores.DatastoreCatalog;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Wire;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.InstanceService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Trove's backup API. */
public final class BackupRoutes {
  private final BackupService backups;
  private final InstanceService instances;
  private final DatastoreCatalog datastores;

  public BackupRoutes(
      BackupService backups, InstanceService instances, DatastoreCatalog datastores) {
    this.backups = backups;
    this.instances = instances;
    this.datastores = datastores;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}";
    app.post(base + "/backups", this::create);
    app.get(base + "/backups", this::list);
    app.get(base + "/backups/{id}", this::show);
    app.delete(base + "/backups/{id}", this::delete);
    app.post(base + "/backups/{id}/verify", this::verify);
    app.get(base + "/instances/{id}/backups", this::listOfInstance);
  }

  private void create(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Fields body = Fields.body(ctx, "backup");
    String name = body.name("name");
    String instance =
        body.optionalString("instance", 64)
            .orElseThrow(() -> new ApiException.BadRequest("instance is missing."));
    Optional<String> description = body.optionalString("description", 2000);
    int incremental = body.optionalInteger("incremental", 0, 1).orElse(0);
    Optional<String> parent = body.optionalString("parent_id", 64);
    // As in Trove, an explicit container beats the backup strategies; empty means "none given".
    Optional<String> container = BackupStrategy.optionalContainer(body, "swift_container");
    Backup backup =
        backups.create(
            principal, name, instance, description, incremental == 1, parent, false, container);
    ctx.status(202).json(Map.of("backup", view(backup)));
  }

  private void list(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    respond(
        ctx,
        backups.list(
            principal,
            Optional.ofNullable(ctx.queryParam("instance_id")).filter(s -> !s.isBlank())));
  }

  private void listOfInstance(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String id = instances.get(principal, ctx.pathParam("id")).id();
    respond(ctx, backups.list(principal, Optional.of(id)));
  }

  private void respond(Context ctx, List<Backup> all) {
    Optional<String> datastore =
        Optional.ofNullable(ctx.queryParam("datastore")).filter(s -> !s.isBlank());
    int limit = Wire.limit(ctx.queryParam("limit"));
    Optional<String> marker =
        Optional.ofNullable(ctx.queryParam("marker")).filter(s -> !s.isBlank());
    List<Map<String, Object>> views = new ArrayList<>();
    boolean afterMarker = marker.isEmpty();
    String last = null;
    boolean more = false;
    for (Backup b : all) {
      if (!afterMarker) {
        afterMarker = b.id().equals(marker.get());
        continue;
      }
      Map<String, Object> view = view(b);
      @SuppressWarnings("unchecked")
      Map<String, Object> ds = (Map<String, Object>) view.get("datastore");
      if (datastore.isPresent() && !datastore.get().equals(ds.get("type"))) {
        continue;
      }
      if (views.size() == limit) {
        more = true;
        break;
      }
      views.add(view);
      last = b.id();
    }
    List<Map<String, String>> links = new ArrayList<>();
    if (more) {
      links.add(
          Map.of(
              "href",
              ctx.url().split("\\?")[0] + "?limit=" + limit + "&marker=" + last,
              "rel",
              "next"));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("backups", views);
    body.put("links", links);
    ctx.json(body);
  }

  private void show(Context ctx) {
    ctx.json(
        Map.of("backup", view(backups.get(Authentication.principal(ctx), ctx.pathParam("id")))));
  }

  /** Native extension: a restore drill (restore into a scratch instance, check, time, delete). */
  private void verify(Context ctx) {
    ctx.status(202)
        .json(
            Map.of(
                "backup",
                view(backups.verify(Authentication.principal(ctx), ctx.pathParam("id")))));
  }

  private void delete(Context ctx) {
    backups.delete(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.status(202);
  }

  Map<String, Object> view(Backup b) {
    DatastoreVersion version = datastores.version(b.datastoreVersionId(), true);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", b.id());
    m.put("name", b.name());
    m.put("description", b.description());
    m.put("locationRef", b.locationRef());
    m.put("instance_id", b.instanceId());
    m.put("created", Wire.time(b.createdAt()));
    m.put("updated", Wire.time(b.updatedAt()));
    m.put(
        "size",
        b.sizeBytes() == null
            ? null
            : Math.round(b.sizeBytes() / (1024.0 * 1024 * 1024) * 10000) / 10000.0);
    m.put("status", b.status().name());
    m.put("parent_id", b.parentId());
    m.put("project_id", b.projectId());
    m.put("checksum", b.checksum());
    Map<String, Object> ds = new LinkedHashMap<>();
    ds.put("type", version.datastoreName());
    ds.put("version", version.name());
    ds.put("version_id", version.id());
    m.put("datastore", ds);
    m.put("size_bytes", b.sizeBytes());
    m.put("verified_at", Wire.time(b.verifiedAt()));
    m.put("restore_seconds", b.restoreSeconds());
    m.put("verify_report", b.verifyReport());
    if (b.faultMessage() != null) {
      m.put("fault", Map.of("message", b.faultMessage()));
    }
    return m;
  }
}

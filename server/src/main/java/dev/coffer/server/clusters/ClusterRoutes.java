package dev.coffer.server.clusters;

import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Links;
import dev.coffer.server.http.Wire;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.StatusRules;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trove's cluster API: {@code POST|GET /clusters}, {@code GET|DELETE /clusters/{id}} and the
 * actions {@code POST /clusters/{id}} ({@code grow}, {@code shrink}, {@code reset-status}).
 */
public final class ClusterRoutes {
  private final ClusterService clusters;

  public ClusterRoutes(ClusterService clusters) {
    this.clusters = clusters;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/clusters";
    app.post(base, this::create);
    app.get(base, this::list);
    app.get(base + "/{id}", this::show);
    app.delete(base + "/{id}", this::delete);
    app.post(base + "/{id}", this::action);
  }

  private void create(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Cluster cluster = clusters.create(principal, Fields.body(ctx, "cluster"));
    ctx.status(200).json(Map.of("cluster", view(ctx, cluster, false)));
  }

  private void list(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    List<Map<String, Object>> views = new ArrayList<>();
    for (Cluster cluster : clusters.list(principal)) {
      views.add(view(ctx, cluster, false));
    }
    ctx.json(Map.of("clusters", views));
  }

  private void show(Context ctx) {
    Cluster cluster = clusters.get(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.json(Map.of("cluster", view(ctx, cluster, true)));
  }

  private void delete(Context ctx) {
    clusters.delete(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.status(202);
  }

  private void action(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String id = ctx.pathParam("id");
    clusters.get(principal, id);
    Fields body = Fields.body(ctx);
    List<String> keys = new ArrayList<>();
    body.node().fieldNames().forEachRemaining(keys::add);
    if (keys.size() != 1) {
      throw new ApiException.BadRequest(
          "Validation error: the action body must have exactly one key, such as {\"grow\": [...]}.");
    }
    String action = keys.get(0);
    Cluster changed =
        switch (action) {
          case "grow" -> clusters.grow(principal, id, body, action);
          case "shrink" -> clusters.shrink(principal, id, body, action);
          case "reset-status" -> {
            clusters.resetStatus(principal, id);
            yield null;
          }
          default -> throw new ApiException.BadRequest("Action " + action + " not supported");
        };
    ctx.status(202);
    if (changed != null) {
      ctx.json(Map.of("cluster", view(ctx, changed, false)));
    }
  }

  /**
   * Trove's cluster view; {@code detailed} adds each member's status, flavor, volume and address
   * (Trove's "servers loaded"), plus Coffer's native {@code status}, endpoints and fault.
   */
  private Map<String, Object> view(Context ctx, Cluster cluster, boolean detailed) {
    String project = cluster.projectId();
    Instant now = Instant.now();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", cluster.id());
    m.put("name", cluster.name());
    Map<String, Object> task = new LinkedHashMap<>();
    task.put("id", cluster.task().id());
    task.put("name", cluster.task().label());
    task.put("description", cluster.task().description());
    m.put("task", task);
    m.put("created", Wire.time(cluster.createdAt()));
    m.put("updated", Wire.time(cluster.updatedAt()));
    m.put("links", Links.of(ctx, project, "clusters/" + cluster.id()));
    DatastoreVersion version = clusters.version(cluster);
    m.put("datastore", Map.of("type", version.datastoreName(), "version", version.name()));
    List<Map<String, Object>> members = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    List<String> statuses = new ArrayList<>();
    for (Instance i : clusters.members(cluster)) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("id", i.id());
      member.put("name", i.name());
      member.put("type", ClusterService.MEMBER);
      member.put("links", Links.of(ctx, project, "instances/" + i.id()));
      String status = StatusRules.status(i, now, clusters.instances().backupRunning(i));
      statuses.add(status);
      if (detailed) {
        member.put("status", status);
        member.put("volume", Map.of("size", i.volumeSize()));
        member.put(
            "flavor",
            Map.of("id", i.flavorId(), "links", Links.of(ctx, project, "flavors/" + i.flavorId())));
        if (i.address() != null) {
          member.put("ip", List.of(i.address()));
          ips.add(i.address());
          if (i.port() != null) {
            member.put("endpoint", Map.of("host", i.address(), "port", i.port()));
          }
        }
      }
      members.add(member);
    }
    m.put("instances", members);
    if (!ips.isEmpty()) {
      ips.sort(null);
      m.put("ip", ips);
    }
    m.put("status", status(cluster, statuses));
    if (cluster.faultMessage() != null) {
      m.put("fault", Map.of("message", cluster.faultMessage(), "details", ""));
    }
    return m;
  }

  /**
   * Native: one word for the cluster, from its task and its members' statuses: the task's name
   * while one runs, else ACTIVE when every member is, ERROR when one is, else DEGRADED.
   */
  public static String status(Cluster cluster, List<String> memberStatuses) {
    if (cluster.task() != ClusterTask.NONE) {
      return cluster.task().label();
    }
    if (!memberStatuses.isEmpty() && memberStatuses.stream().allMatch("ACTIVE"::equals)) {
      return "ACTIVE";
    }
    if (memberStatuses.contains("ERROR") || cluster.faultMessage() != null) {
      return "ERROR";
    }
    return "DEGRADED";
  }
}

package dev.coffer.server.replication;

import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Wire;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Native extension: a replication set seen from any of its members, with its failover policy,
 * stable primary endpoint, members' lag and recent events ({@code GET|PUT
 * /v1.0/{project_id}/instances/{id}/replication}).
 */
public final class ReplicationRoutes {
  private final ReplicationService replication;

  public ReplicationRoutes(ReplicationService replication) {
    this.replication = replication;
  }

  public void register(Javalin app) {
    String path = "/v1.0/{project_id}/instances/{id}/replication";
    app.get(path, this::show);
    app.put(path, this::update);
  }

  private void show(Context ctx) {
    ReplicaSet set = replication.setOf(Authentication.principal(ctx), ctx.pathParam("id"));
    ctx.json(Map.of("replication", view(set)));
  }

  private void update(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Fields body = Fields.body(ctx, "replication");
    ReplicaSet set = replication.setPolicy(principal, ctx.pathParam("id"), body);
    ctx.json(Map.of("replication", view(set)));
  }

  private Map<String, Object> view(ReplicaSet set) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("set_id", set.id());
    m.put("primary", set.primaryId());
    m.put("synchronous", set.synchronous());
    m.put("auto_failover", set.autoFailover());
    m.put("failover_after_seconds", set.failoverAfterSeconds());
    m.put("max_lag_seconds", set.maxLagSeconds());
    replication
        .endpoint(set.id())
        .ifPresent(e -> m.put("primary_endpoint", Map.of("host", e.host(), "port", e.port())));
    List<Map<String, Object>> members = new ArrayList<>();
    for (ReplicaMember member : replication.members(set.id())) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("id", member.instanceId());
      v.put("replica_of", member.replicaOf());
      v.put("role", member.role() == null ? null : member.role().toLowerCase());
      v.put("connected", member.connected());
      v.put("lag_seconds", member.lagSeconds());
      v.put("position", member.position());
      v.put("progress", member.progress());
      v.put("pending_rejoin", member.needsRejoin());
      v.put("reported", member.reportedAt() == null ? null : Wire.time(member.reportedAt()));
      members.add(v);
    }
    m.put("members", members);
    List<Map<String, Object>> events = new ArrayList<>();
    for (ReplicationEvent event : replication.events(set.id())) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("at", Wire.time(event.at()));
      v.put("kind", event.kind());
      v.put("old_primary", event.oldPrimary());
      v.put("new_primary", event.newPrimary());
      v.put("detail", event.detail());
      events.add(v);
    }
    m.put("events", events);
    return m;
  }
}

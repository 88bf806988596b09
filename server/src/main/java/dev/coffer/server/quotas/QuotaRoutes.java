package dev.coffer.server.quotas;

import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trove's quota management ({@code /mgmt/quotas/{project}}, admins) and absolute limits ({@code
 * /limits}, any member, with the project's use beside each limit).
 */
public final class QuotaRoutes {
  private final ProjectQuotas quotas;

  public QuotaRoutes(ProjectQuotas quotas) {
    this.quotas = quotas;
  }

  public void register(Javalin app) {
    app.get("/v1.0/{project_id}/mgmt/quotas/{target}", this::show);
    app.put("/v1.0/{project_id}/mgmt/quotas/{target}", this::update);
    app.get("/v1.0/{project_id}/limits", this::limits);
  }

  private void show(Context ctx) {
    Authentication.admin(ctx);
    String target = ctx.pathParam("target");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (QuotaUsage u : quotas.usage(target)) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("resource", u.resource().wireName());
      row.put("in_use", u.inUse());
      // Coffer reserves nothing ahead: the check and the insert are one transaction.
      row.put("reserved", 0);
      row.put("limit", u.limit());
      rows.add(row);
    }
    ctx.json(Map.of("quotas", rows));
  }

  /** {@code {"quotas": {"instances": 20, "volumes": 100}}}; -1 means no limit. */
  private void update(Context ctx) {
    Authentication.admin(ctx);
    String target = ctx.pathParam("target");
    Fields body = Fields.body(ctx, "quotas");
    Map<Resource, Integer> limits = new EnumMap<>(Resource.class);
    List<String> names = new ArrayList<>();
    body.node().fieldNames().forEachRemaining(names::add);
    for (String name : names) {
      Resource resource =
          Resource.byWireName(name)
              .orElseThrow(
                  () ->
                      Fields.invalid(
                          body.at(name),
                          "is not a quota resource; use instances, volumes, backups or clusters"));
      int limit =
          body.optionalInteger(name, ProjectQuotas.UNLIMITED, 1_000_000)
              .orElseThrow(() -> Fields.invalid(body.at(name), "must be a whole number"));
      limits.put(resource, limit);
    }
    if (limits.isEmpty()) {
      throw Fields.invalid(body.path(), "must name at least one resource");
    }
    quotas.set(target, limits);
    Map<String, Object> view = new LinkedHashMap<>();
    limits.forEach((r, n) -> view.put(r.wireName(), n));
    ctx.json(Map.of("quotas", view));
  }

  /**
   * Trove's absolute limits ({@code max_*}, volumes in GB) plus, natively, what the project uses of
   * each ({@code used_*}).
   */
  private void limits(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Map<String, Object> absolute = new LinkedHashMap<>();
    absolute.put("verb", "ABSOLUTE");
    List<QuotaUsage> usage = quotas.usage(principal.projectId());
    for (QuotaUsage u : usage) {
      absolute.put("max_" + u.resource().wireName(), u.limit());
    }
    for (QuotaUsage u : usage) {
      absolute.put("used_" + u.resource().wireName(), u.inUse());
    }
    ctx.json(Map.of("limits", List.of(absolute)));
  }
}

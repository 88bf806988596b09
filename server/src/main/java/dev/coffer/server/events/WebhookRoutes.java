package dev.coffer.server.events;

import dev.coffer.server.backups.BackupVault;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Webhooks (native): {@code POST/GET /coffer/v1/webhooks}, {@code DELETE /coffer/v1/webhooks/{id}}
 * and {@code GET /coffer/v1/webhooks/{id}/deliveries}. A webhook receives its project's events (an
 * administrator's may receive every project's, {@code all_projects}); its secret is shown only in
 * the answer to its creation.
 */
public final class WebhookRoutes {
  private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+");

  private final WebhookStore webhooks;
  private final BackupVault vault;

  public WebhookRoutes(WebhookStore webhooks, BackupVault vault) {
    this.webhooks = webhooks;
    this.vault = vault;
  }

  public void register(Javalin app) {
    app.post("/coffer/v1/webhooks", this::create);
    app.get("/coffer/v1/webhooks", this::list);
    app.delete("/coffer/v1/webhooks/{id}", this::delete);
    app.get("/coffer/v1/webhooks/{id}/deliveries", this::deliveries);
  }

  private void create(Context ctx) {
    Principal p = Authentication.principal(ctx);
    Fields body = Fields.body(ctx, "webhook");
    String url = body.string("url", 2000);
    requireHttpUrl(url, body.at("url"));
    List<String> types = new ArrayList<>();
    if (body.has("events") && !body.isNull("events")) {
      var node = body.node().get("events");
      if (!node.isArray()) {
        throw Fields.invalid(body.at("events"), "must be a list of event types");
      }
      for (var t : node) {
        if (!t.isTextual()
            || !EVENT_TYPE.matcher(t.asText()).matches()
            || t.asText().length() > 64) {
          throw Fields.invalid(
              body.at("events"), "must contain event types such as 'instance.status_changed'");
        }
        if (!types.contains(t.asText())) {
          types.add(t.asText());
        }
      }
    }
    boolean allProjects = body.optionalBoolean("all_projects").orElse(false);
    if (allProjects && !p.isAdmin()) {
      throw new ApiException.Forbidden("Only administrators may receive every project's events.");
    }
    BackupVault.NewKey secret = vault.newDataKey();
    Webhook hook =
        new Webhook(
            UUID.randomUUID().toString(),
            allProjects ? null : p.projectId(),
            url,
            types,
            secret.wrapped(),
            p.userName(),
            Instant.now());
    webhooks.insert(hook);
    Map<String, Object> view = view(hook);
    view.put("secret", secret.clearBase64());
    ctx.status(201).json(Map.of("webhook", view));
  }

  private static void requireHttpUrl(String url, String field) {
    try {
      URI uri = new URI(url);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null
          || uri.getRawUserInfo() != null) {
        throw Fields.invalid(field, "must be an http:// or https:// URL without credentials");
      }
    } catch (URISyntaxException e) {
      throw Fields.invalid(field, "must be an http:// or https:// URL without credentials");
    }
  }

  private void list(Context ctx) {
    Principal p = Authentication.principal(ctx);
    List<Map<String, Object>> views = new ArrayList<>();
    webhooks.visible(p.projectId(), p.isAdmin()).forEach(w -> views.add(view(w)));
    ctx.json(Map.of("webhooks", views));
  }

  private Webhook visible(Context ctx) {
    Principal p = Authentication.principal(ctx);
    String id = ctx.pathParam("id");
    return webhooks
        .find(id)
        .filter(w -> w.allProjects() ? p.isAdmin() : w.projectId().equals(p.projectId()))
        .orElseThrow(() -> new ApiException.NotFound("Webhook " + id + " could not be found."));
  }

  private void delete(Context ctx) {
    webhooks.delete(visible(ctx).id());
    ctx.status(204);
  }

  private void deliveries(Context ctx) {
    Webhook hook = visible(ctx);
    List<Map<String, Object>> views = new ArrayList<>();
    for (Delivery d : webhooks.deliveries(hook.id(), 1000)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", d.id());
      m.put("event_id", d.eventId());
      m.put("event_type", d.eventType());
      m.put("state", d.state());
      m.put("attempts", d.attempts());
      m.put("next_attempt", d.state().equals("PENDING") ? d.nextAttemptAt().toString() : null);
      m.put("last_response", d.lastResponse());
      m.put("last_error", d.lastError());
      m.put("created", d.createdAt().toString());
      m.put("delivered", d.deliveredAt() == null ? null : d.deliveredAt().toString());
      views.add(m);
    }
    ctx.json(Map.of("deliveries", views));
  }

  private static Map<String, Object> view(Webhook w) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", w.id());
    m.put("project_id", w.allProjects() ? null : w.projectId());
    m.put("all_projects", w.allProjects());
    m.put("url", w.url());
    m.put("events", w.eventTypes());
    m.put("created_by", w.createdBy());
    m.put("created", w.createdAt().toString());
    return m;
  }
}

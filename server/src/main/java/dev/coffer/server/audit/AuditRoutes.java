package dev.coffer.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.logging.LogIds;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Gives every request an id (Trove's {@code x-openstack-request-id} header), writes one audit entry
 * per change a caller asks for (POST, PUT, PATCH, DELETE under {@code /v1.0} and {@code
 * /coffer/v1}, failed ones and failed logins included), and serves the log to administrators at
 * {@code GET /v1.0/{project_id}/mgmt/audit}. Request bodies are never kept: only, for a login, the
 * user name tried and, for an action, the action's name (the body's key).
 */
public final class AuditRoutes {
  public static final String REQUEST_ID_HEADER = "x-openstack-request-id";
  private static final String REQUEST_ID = "coffer.request_id";

  private static final Logger log = LoggerFactory.getLogger(AuditRoutes.class);
  private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");
  private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,39}");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}");
  private static final Map<String, String> NAMED =
      Map.of(
          "POST /coffer/v1/tokens", "auth.login",
          "DELETE /coffer/v1/tokens/{token_id}", "token.revoke");

  private final AuditLog audit;
  private final ObjectMapper json;

  public AuditRoutes(AuditLog audit, ObjectMapper json) {
    this.audit = audit;
    this.json = json;
  }

  /** Registers the hooks; register before other features so every request gets its id first. */
  public void register(Javalin app) {
    app.before(
        ctx -> {
          String id = "req-" + UUID.randomUUID();
          ctx.attribute(REQUEST_ID, id);
          ctx.header(REQUEST_ID_HEADER, id);
          // Every line logged while handling the request carries its id. Put replaces whatever a
          // request that ended elsewhere (asynchronously) left on this worker thread.
          MDC.put(LogIds.REQUEST_ID, id);
        });
    app.after(this::record);
    // After-handlers run even when a before-handler or the endpoint failed; registered last, so
    // the audit's own failure line still carries the id.
    app.after(ctx -> MDC.remove(LogIds.REQUEST_ID));
    app.get("/v1.0/{project_id}/mgmt/audit", this::list);
  }

  /** The id of the current request, as returned to the client and kept in the audit log. */
  public static String requestId(Context ctx) {
    String id = ctx.attribute(REQUEST_ID);
    return id != null ? id : "";
  }

  private void record(Context ctx) {
    String method = ctx.method().name();
    String path = ctx.path();
    if (!MUTATING.contains(method)
        || !(path.startsWith("/v1.0/") || path.startsWith("/coffer/v1/"))) {
      return;
    }
    try {
      Optional<String> matched = matchedRoute(ctx);
      String route = matched.orElse(path);
      Map<String, String> params = params(route, path);
      Optional<Principal> caller = Authentication.caller(ctx);
      String action = NAMED.getOrDefault(method + " " + route, null);
      if (action == null) {
        action = matched.isPresent() ? actionName(method, route, ctx) : method + " " + path;
      }
      String userName = caller.map(Principal::userName).orElse(null);
      if (caller.isEmpty() && "auth.login".equals(action)) {
        userName = bodyText(ctx, "username").orElse(null);
      }
      String project =
          caller
              .map(Principal::projectId)
              .orElse(Optional.ofNullable(params.get("project_id")).orElse(null));
      audit.add(
          new AuditEntry(
              UUID.randomUUID().toString(),
              Instant.now(),
              requestId(ctx),
              caller.map(Principal::userId).orElse(null),
              userName,
              project,
              action,
              method,
              route,
              target(ctx, method, route, params).orElse(null),
              ctx.statusCode(),
              ctx.ip()));
    } catch (RuntimeException e) {
      // The change itself has happened (or failed) already; the caller's answer must not change.
      log.error("event=audit_write_failed request={} {} {}", requestId(ctx), method, path, e);
    }
  }

  /** The matched route template, or the raw path when no route matched (404, refused early). */
  private static Optional<String> matchedRoute(Context ctx) {
    try {
      return Optional.ofNullable(ctx.endpointHandlerPath()).filter(t -> !t.isEmpty());
    } catch (RuntimeException notMatched) {
      return Optional.empty();
    }
  }

  /** Path parameters of {@code path} under {@code route} ({@code {name}} segments). */
  static Map<String, String> params(String route, String path) {
    String[] names = route.split("/");
    String[] values = path.split("/");
    Map<String, String> params = new LinkedHashMap<>();
    if (names.length != values.length) {
      return params;
    }
    for (int i = 0; i < names.length; i++) {
      String n = names[i];
      if (n.length() > 2 && (n.startsWith("{") || n.startsWith("<"))) {
        params.put(n.substring(1, n.length() - 1), values[i]);
      }
    }
    return params;
  }

  /**
   * A readable name for the change: {@code <resource>.<verb>} from the route, e.g. {@code POST
   * /v1.0/{project_id}/instances} is {@code instance.create}, and {@code POST .../instances/{id}/
   * action} with body {@code {"restart": {}}} is {@code instance.restart}.
   */
  private String actionName(String method, String route, Context ctx) {
    List<String> segments = new ArrayList<>(List.of(route.split("/")));
    segments.removeIf(String::isEmpty);
    if (segments.size() >= 2 && segments.get(0).equals("v1.0")) {
      segments = segments.subList(2, segments.size());
    } else if (segments.size() >= 2 && segments.get(0).equals("coffer")) {
      segments = segments.subList(2, segments.size());
    } else {
      return method + " " + route;
    }
    if (segments.isEmpty()) {
      return method + " " + route;
    }
    String prefix = segments.get(0).equals("mgmt") ? "mgmt." : "";
    String last = segments.get(segments.size() - 1);
    boolean lastIsParam = last.startsWith("{");
    if (last.equals("action") && segments.size() >= 3) {
      return prefix + singular(segments.get(segments.size() - 3)) + "." + actionKey(ctx);
    }
    if (lastIsParam) {
      if (segments.size() < 2) {
        return method + " " + route;
      }
      String resource = prefix + singular(segments.get(segments.size() - 2));
      return switch (method) {
        case "DELETE" -> resource + ".delete";
        case "PUT", "PATCH" -> resource + ".update";
        default -> resource + "." + actionKey(ctx);
      };
    }
    String resource = prefix + singular(last);
    return switch (method) {
      case "POST" -> resource + ".create";
      case "DELETE" -> resource + ".delete";
      default -> resource + ".update";
    };
  }

  private static String singular(String segment) {
    if (segment.endsWith("ies")) {
      return segment.substring(0, segment.length() - 3) + "y";
    }
    if (segment.endsWith("s") && !segment.endsWith("ss")) {
      return segment.substring(0, segment.length() - 1);
    }
    return segment;
  }

  /** The name of an action request ({@code {"restart": {}}} → {@code restart}), never its value. */
  private String actionKey(Context ctx) {
    JsonNode body = body(ctx);
    if (body != null && body.isObject()) {
      Iterator<String> names = body.fieldNames();
      if (names.hasNext()) {
        String name = names.next();
        if (KEY.matcher(name).matches()) {
          return name;
        }
      }
    }
    return "action";
  }

  private Optional<String> bodyText(Context ctx, String field) {
    JsonNode body = body(ctx);
    if (body == null || !body.path(field).isTextual()) {
      return Optional.empty();
    }
    String value = body.path(field).asText();
    return value.length() <= 255 ? Optional.of(value) : Optional.empty();
  }

  private JsonNode body(Context ctx) {
    try {
      byte[] bytes = ctx.bodyAsBytes();
      return bytes.length == 0 || bytes.length > (1 << 20) ? null : json.readTree(bytes);
    } catch (Exception e) {
      return null;
    }
  }

  /** The last id in the path, or for a successful create the id its answer names. */
  private Optional<String> target(
      Context ctx, String method, String route, Map<String, String> params) {
    List<String> ids = new ArrayList<>();
    params.forEach(
        (name, value) -> {
          if (!name.equals("project_id")) {
            ids.add(value);
          }
        });
    if (!route.endsWith("}") && method.equals("POST") && ctx.statusCode() / 100 == 2) {
      Optional<String> created = createdId(ctx);
      if (created.isPresent()) {
        return created;
      }
    }
    return ids.isEmpty() ? Optional.empty() : Optional.of(ids.get(ids.size() - 1));
  }

  /** The {@code id} of a create's answer {@code {"<kind>": {"id": ...}}}; never a token's. */
  private Optional<String> createdId(Context ctx) {
    if (ctx.path().equals("/coffer/v1/tokens")) {
      return Optional.empty();
    }
    try {
      String result = ctx.result();
      if (result == null || result.isEmpty() || result.length() > (1 << 20)) {
        return Optional.empty();
      }
      JsonNode answer = json.readTree(result);
      if (answer != null && answer.isObject() && answer.size() == 1) {
        JsonNode id = answer.elements().next().path("id");
        if (id.isTextual() && ID.matcher(id.asText()).matches()) {
          return Optional.of(id.asText());
        }
      }
    } catch (Exception e) {
      // not a JSON answer: no target
    }
    return Optional.empty();
  }

  private void list(Context ctx) {
    Principal admin = Authentication.admin(ctx);
    int limit = limit(ctx.queryParam("limit"));
    AuditLog.Filter filter =
        new AuditLog.Filter(
            query(ctx, "project"),
            query(ctx, "user"),
            query(ctx, "action"),
            query(ctx, "target"),
            query(ctx, "outcome").map(v -> outcome(v)),
            query(ctx, "since").map(v -> time("since", v)),
            query(ctx, "until").map(v -> time("until", v)),
            query(ctx, "marker"),
            limit + 1);
    List<AuditEntry> page = audit.find(filter);
    List<Map<String, Object>> views = new ArrayList<>();
    for (int i = 0; i < Math.min(limit, page.size()); i++) {
      views.add(view(page.get(i)));
    }
    List<Map<String, String>> links = new ArrayList<>();
    if (page.size() > limit) {
      StringBuilder next =
          new StringBuilder(
              ctx.scheme()
                  + "://"
                  + ctx.host()
                  + "/v1.0/"
                  + admin.projectId()
                  + "/mgmt/audit?limit="
                  + limit);
      for (String name :
          List.of("project", "user", "action", "target", "outcome", "since", "until")) {
        query(ctx, name)
            .ifPresent(
                v ->
                    next.append('&')
                        .append(name)
                        .append('=')
                        .append(
                            java.net.URLEncoder.encode(
                                v, java.nio.charset.StandardCharsets.UTF_8)));
      }
      next.append("&marker=").append(page.get(limit - 1).id());
      links.add(Map.of("href", next.toString(), "rel", "next"));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("audit", views);
    body.put("links", links);
    ctx.json(body);
  }

  private static Map<String, Object> view(AuditEntry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", e.id());
    m.put("time", e.at().toString());
    m.put("request_id", e.requestId());
    m.put("user_id", e.userId());
    m.put("user", e.userName());
    m.put("project_id", e.projectId());
    m.put("action", e.action());
    m.put("method", e.method());
    m.put("route", e.route());
    m.put("target", e.targetId());
    m.put("outcome", e.outcome());
    m.put("remote_address", e.remoteAddress());
    return m;
  }

  private static Optional<String> query(Context ctx, String name) {
    return Optional.ofNullable(ctx.queryParam(name)).filter(v -> !v.isBlank());
  }

  private static int limit(String raw) {
    if (raw == null || raw.isBlank()) {
      return 100;
    }
    return dev.coffer.server.http.Wire.limit(raw);
  }

  private static int outcome(String raw) {
    if (raw.matches("[1-5]\\d\\d")) {
      return Integer.parseInt(raw);
    }
    throw new ApiException.BadRequest("Validation error: outcome must be an HTTP status code.");
  }

  /** An ISO-8601 instant ({@code 2026-11-26T02:00:00Z}) or Trove's zone-less UTC form. */
  static Instant time(String field, String raw) {
    try {
      return Instant.parse(raw);
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(raw + "Z");
      } catch (DateTimeParseException again) {
        throw new ApiException.BadRequest(
            "Validation error: " + field + " must be a UTC time such as 2026-11-26T02:00:00Z.");
      }
    }
  }
}

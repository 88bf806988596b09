package dev.coffer.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.IdentityService;
import dev.coffer.server.identity.Principal;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.Handler;
import io.javalin.http.SameSite;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console under {@code /ui/}: server-rendered pages (JTE templates) with htmx for live
 * parts. It reads and changes everything through {@link ConsoleApi}, i.e. the REST API with the
 * user's own token, so it adds no rule of its own. The token lives in an HTTP-only, same-site
 * cookie; every form and htmx request carries a CSRF token derived from it.
 */
public final class ConsoleRoutes {
  private static final Logger log = LoggerFactory.getLogger(ConsoleRoutes.class);
  private static final String SESSION_COOKIE = "coffer_console";
  private static final String LOGIN_COOKIE = "coffer_login";
  private static final String NOTICE_COOKIE = "coffer_notice";
  private static final String SESSION = "console.session";
  private static final String HTMX = "/ui/static/htmx.min.js";
  private static final Pattern FIELD = Pattern.compile("\\['([a-zA-Z_]+)'\\]");

  private final IdentityService identity;
  private final ConsoleApi api;
  private final TemplateEngine templates =
      TemplateEngine.createPrecompiled(
          null, ContentType.Html, null, "dev.coffer.server.console.templates");
  private final byte[] csrfKey = new byte[32];
  private final Map<String, byte[]> assets = new HashMap<>();

  public ConsoleRoutes(
      IdentityService identity, String apiUrl, com.fasterxml.jackson.databind.ObjectMapper json) {
    this.identity = identity;
    this.api = new ConsoleApi(apiUrl, json);
    new SecureRandom().nextBytes(csrfKey);
    assets.put(
        "htmx.min.js", resource("/META-INF/resources/webjars/htmx.org/2.0.4/dist/htmx.min.js"));
    assets.put("console.css", resource("/console/console.css"));
    assets.put("console.js", resource("/console/console.js"));
  }

  public void register(Javalin app) {
    app.before("/ui/*", this::authenticate);
    app.get("/ui", ctx -> ctx.redirect("/ui/instances"));
    app.get("/ui/static/{name}", this::asset);
    app.get("/ui/login", page(this::loginForm));
    app.post("/ui/login", page(this::login));
    app.post("/ui/logout", page(this::logout));
    app.post("/ui/project", page(this::switchProject));

    app.get("/ui/instances", page(this::instances));
    app.get("/ui/instances/rows", page(this::instanceRows));
    app.get("/ui/instances/new", page(this::wizard));
    app.get("/ui/instances/new/versions", page(this::wizardVersions));
    app.post("/ui/instances", page(this::create));
    app.get("/ui/instances/{id}", page(this::instance));
    app.get("/ui/instances/{id}/live", page(this::instanceLive));
    app.post("/ui/instances/{id}/{action}", page(this::instanceAction));
    app.post("/ui/instances/{id}/users/{user}/{action}", page(this::userAction));
    app.post("/ui/instances/{id}/databases/{db}/delete", page(this::deleteDatabase));

    app.get("/ui/backups", page(this::backups));
    app.post("/ui/backups/{id}/restore", page(this::restore));
    app.post("/ui/backups/{id}/delete", page(this::deleteBackup));

    app.get("/ui/clusters", page(this::clusters));
    app.get("/ui/clusters/{id}", page(this::cluster));
    app.post("/ui/clusters/{id}/{action}", page(this::clusterAction));

    app.get("/ui/admin/instances", page(this::adminInstances));
    app.get("/ui/admin/datastores", page(this::adminDatastores));
    app.get("/ui/admin/flavors", page(this::adminFlavors));
    app.get("/ui/<rest>", page(ctx -> notFound(ctx, "There is no such page.")));
  }

  // ---- session, CSRF and the frame --------------------------------------------------------

  private void authenticate(Context ctx) {
    String path = ctx.path();
    if (path.startsWith("/ui/static/") || path.equals("/ui/login")) {
      return;
    }
    String token = ctx.cookie(SESSION_COOKIE);
    Principal principal;
    try {
      principal = identity.authenticate(token);
    } catch (ApiException e) {
      if (ctx.header("HX-Request") != null) {
        ctx.header("HX-Redirect", "/ui/login");
        ctx.status(401);
      } else {
        ctx.redirect("/ui/login");
      }
      ctx.skipRemainingHandlers();
      return;
    }
    ConsoleSession session = new ConsoleSession(token, principal, csrfFor(token));
    if (ctx.method().name().equals("POST")) {
      String sent = ctx.header("X-CSRF-Token");
      if (sent == null) {
        sent = ctx.formParam("csrf");
      }
      if (sent == null
          || !MessageDigest.isEqual(
              sent.getBytes(StandardCharsets.UTF_8),
              session.csrf().getBytes(StandardCharsets.UTF_8))) {
        ctx.attribute(SESSION, session);
        render(
            ctx.status(403),
            "error.jte",
            Map.of(
                "page",
                frame(ctx, "Form expired", ""),
                "heading",
                "This form has expired",
                "message",
                "Reload the page and try again."));
        ctx.skipRemainingHandlers();
        return;
      }
    }
    ctx.attribute(SESSION, session);
  }

  private String csrfFor(String token) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(csrfKey, "HmacSHA256"));
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(mac.doFinal(token.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  private static ConsoleSession session(Context ctx) {
    return ctx.attribute(SESSION);
  }

  /** The frame of a signed-in page, taking the pending notice (once). */
  private Page frame(Context ctx, String title, String section) {
    return frame(ctx, title, section, true);
  }

  /**
   * The frame of a page or, without {@code withNotice}, of a fragment that htmx polls: a poll must
   * not swallow the notice meant for the page the user is being sent to.
   */
  private Page frame(Context ctx, String title, String section, boolean withNotice) {
    ConsoleSession s = session(ctx);
    Principal p = s.principal();
    List<Page.ProjectChoice> projects =
        identity.memberships(p).stream()
            .map(
                m ->
                    new Page.ProjectChoice(
                        m.project().id(),
                        m.project().name(),
                        m.project().id().equals(p.projectId())))
            .toList();
    return new Page(
        title,
        section,
        p.userName(),
        p.projectId(),
        p.projectName(),
        p.isAdmin(),
        projects,
        s.csrf(),
        withNotice ? takeNotice(ctx) : null);
  }

  private static Page.Notice takeNotice(Context ctx) {
    String raw = ctx.cookie(NOTICE_COOKIE);
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    ctx.removeCookie(NOTICE_COOKIE, "/ui");
    String decoded = URLDecoder.decode(raw, StandardCharsets.UTF_8);
    int colon = decoded.indexOf(':');
    return colon < 0
        ? null
        : new Page.Notice(decoded.substring(0, colon), decoded.substring(colon + 1));
  }

  /** A notice for the next page (never a secret: cookies are not for those). */
  private static void notice(Context ctx, String kind, String text) {
    Cookie cookie =
        new Cookie(NOTICE_COOKIE, URLEncoder.encode(kind + ":" + text, StandardCharsets.UTF_8));
    cookie.setPath("/ui");
    cookie.setHttpOnly(true);
    cookie.setSameSite(SameSite.STRICT);
    ctx.cookie(cookie);
  }

  /** Runs a page handler; anything unexpected becomes the error page, never a stack trace. */
  private Handler page(Handler handler) {
    return ctx -> {
      long started = System.nanoTime();
      try {
        handler.handle(ctx);
        // The server's own time for the page (API calls and rendering), for browsers' dev tools
        // and the console benchmark.
        ctx.header(
            "Server-Timing",
            String.format(Locale.ROOT, "app;dur=%.2f", (System.nanoTime() - started) / 1e6));
      } catch (ApiException e) {
        errorPage(ctx, e.status(), "Something went wrong", e.getMessage());
      } catch (Exception e) {
        String id = UUID.randomUUID().toString();
        log.error("event=console_error path={} error_id={}", ctx.path(), id, e);
        errorPage(
            ctx,
            500,
            "Something went wrong on our side",
            "The error was logged with ID "
                + id
                + ". Try again, or give this ID to your operator.");
      }
    };
  }

  private void errorPage(Context ctx, int status, String heading, String message) {
    Page frame = session(ctx) == null ? Page.anonymous("Error", "", null) : frame(ctx, "Error", "");
    render(
        ctx.status(status),
        "error.jte",
        Map.of("page", frame, "heading", heading, "message", message));
  }

  private void notFound(Context ctx, String message) {
    errorPage(ctx, 404, "Not found", message);
  }

  private void render(Context ctx, String template, Map<String, Object> params) {
    StringOutput out = new StringOutput();
    templates.render(template, params, out);
    ctx.header("Cache-Control", "no-store");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "same-origin");
    ctx.html(out.toString());
  }

  private void asset(Context ctx) {
    String name = ctx.pathParam("name");
    byte[] body = assets.get(name);
    if (body == null) {
      ctx.status(404).result("");
      return;
    }
    ctx.contentType(name.endsWith(".css") ? "text/css" : "text/javascript");
    ctx.header("Cache-Control", "public, max-age=3600");
    ctx.result(body);
  }

  private static byte[] resource(String name) {
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON object built in order, for request bodies. */
  private static Map<String, Object> obj(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static String form(Context ctx, String name) {
    String value = ctx.formParam(name);
    return value == null ? "" : value.strip();
  }

  /** Sends the user back where they were with the API's verdict as a notice. */
  private static void done(Context ctx, ConsoleApi.Reply reply, String success, String back) {
    if (reply.ok()) {
      notice(ctx, "ok", success);
    } else {
      notice(ctx, "error", reply.message());
    }
    ctx.redirect(back, io.javalin.http.HttpStatus.SEE_OTHER);
  }

  // ---- login ----------------------------------------------------------------------------

  private void loginForm(Context ctx) {
    showLogin(ctx, "", "", null);
  }

  private void showLogin(Context ctx, String user, String project, String error) {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    Cookie cookie = new Cookie(LOGIN_COOKIE, csrf);
    cookie.setPath("/ui/login");
    cookie.setHttpOnly(true);
    cookie.setSameSite(SameSite.STRICT);
    ctx.cookie(cookie);
    render(
        ctx,
        "login.jte",
        Map.of(
            "page",
            Page.anonymous("Sign in", csrf, takeNotice(ctx)),
            "user",
            user,
            "project",
            project,
            "error",
            error == null ? "" : error));
  }

  private void login(Context ctx) {
    String expected = ctx.cookie(LOGIN_COOKIE);
    String sent = ctx.formParam("csrf");
    String user = form(ctx, "username");
    String project = form(ctx, "project");
    if (expected == null || sent == null || !expected.equals(sent)) {
      showLogin(ctx.status(403), user, project, "The sign-in form expired; please try again.");
      return;
    }
    String password = ctx.formParam("password");
    if (user.isEmpty() || password == null || password.isEmpty()) {
      showLogin(ctx.status(400), user, project, "Enter your user name and password.");
      return;
    }
    ConsoleApi.Reply reply = api.login(user, password, project);
    if (!reply.ok()) {
      showLogin(ctx.status(reply.status()), user, project, reply.message());
      return;
    }
    setSession(ctx, reply.body().at("/token/id").asText());
    ctx.redirect("/ui/instances", io.javalin.http.HttpStatus.SEE_OTHER);
  }

  private static void setSession(Context ctx, String token) {
    Cookie cookie = new Cookie(SESSION_COOKIE, token);
    cookie.setPath("/ui");
    cookie.setHttpOnly(true);
    cookie.setSameSite(SameSite.STRICT);
    cookie.setSecure(ctx.scheme().equals("https"));
    ctx.cookie(cookie);
  }

  private void logout(Context ctx) {
    ConsoleSession s = session(ctx);
    identity.revoke(s.principal(), s.principal().tokenId());
    ctx.removeCookie(SESSION_COOKIE, "/ui");
    notice(ctx, "ok", "You are signed out.");
    ctx.redirect("/ui/login", io.javalin.http.HttpStatus.SEE_OTHER);
  }

  private void switchProject(Context ctx) {
    ConsoleSession s = session(ctx);
    ConsoleApi.Reply reply =
        api.post(
            s,
            "/coffer/v1/tokens",
            obj("project", form(ctx, "project"), "description", "web console"));
    if (!reply.ok()) {
      notice(ctx, "error", reply.message());
    } else {
      identity.revoke(s.principal(), s.principal().tokenId());
      setSession(ctx, reply.body().at("/token/id").asText());
      notice(ctx, "ok", "Switched to project " + reply.body().at("/token/project_name").asText());
    }
    ctx.redirect("/ui/instances", io.javalin.http.HttpStatus.SEE_OTHER);
  }

  // ---- instances --------------------------------------------------------------------------

  /** The filtered, sorted instances for the list (filter on name, status or datastore). */
  private List<JsonNode> instanceList(Context ctx, ConsoleApi.Reply reply) {
    String q =
        ctx.queryParam("q") == null ? "" : ctx.queryParam("q").strip().toLowerCase(Locale.ROOT);
    String sort = ctx.queryParam("sort") == null ? "name" : ctx.queryParam("sort");
    List<JsonNode> rows = new ArrayList<>();
    for (JsonNode i : reply.body().path("instances")) {
      String haystack =
          (i.path("name").asText()
                  + " "
                  + i.path("status").asText()
                  + " "
                  + i.at("/datastore/type").asText())
              .toLowerCase(Locale.ROOT);
      if (q.isEmpty() || haystack.contains(q)) {
        rows.add(i);
      }
    }
    Comparator<JsonNode> order =
        switch (sort) {
          case "status" -> Comparator.comparing((JsonNode i) -> i.path("status").asText());
          case "datastore" ->
              Comparator.comparing((JsonNode i) -> i.at("/datastore/type").asText());
          case "size" -> Comparator.comparing((JsonNode i) -> i.at("/volume/size").asInt());
          default -> Comparator.comparing((JsonNode i) -> i.path("name").asText());
        };
    rows.sort(order.thenComparing(i -> i.path("name").asText()));
    return rows;
  }

  private Map<String, Object> listParams(Context ctx, Page page, String scope) {
    ConsoleSession s = session(ctx);
    ConsoleApi.Reply reply =
        scope.equals("all")
            ? api.get(s, s.v1("/mgmt/instances"))
            : api.get(s, s.v1("/instances?include_clustered=True"));
    if (!reply.ok()) {
      throw new ApiException.BadRequest(reply.message());
    }
    Map<String, Object> params = new HashMap<>();
    params.put("page", page);
    params.put("rows", instanceList(ctx, reply));
    params.put("flavors", listOrEmpty(s, "/flavors", "flavors"));
    params.put("total", reply.body().path("instances").size());
    params.put("q", ctx.queryParam("q") == null ? "" : ctx.queryParam("q"));
    params.put("sort", ctx.queryParam("sort") == null ? "name" : ctx.queryParam("sort"));
    params.put("scope", scope);
    return params;
  }

  private void instances(Context ctx) {
    render(ctx, "instances.jte", listParams(ctx, frame(ctx, "Instances", "instances"), "project"));
  }

  private void instanceRows(Context ctx) {
    String scope = "all".equals(ctx.queryParam("scope")) ? "all" : "project";
    render(
        ctx,
        "instance_rows.jte",
        listParams(ctx, frame(ctx, "Instances", "instances", false), scope));
  }

  private void adminInstances(Context ctx) {
    if (!session(ctx).admin()) {
      errorPage(ctx, 403, "Admins only", "This page needs the admin role.");
      return;
    }
    render(
        ctx,
        "instances.jte",
        listParams(ctx, frame(ctx, "All projects' instances", "admin"), "all"));
  }

  private void instance(Context ctx) {
    ConsoleSession s = session(ctx);
    String id = ctx.pathParam("id");
    ConsoleApi.Reply shown = api.get(s, s.v1("/instances/" + id));
    if (shown.status() == 404 || shown.status() == 403) {
      notFound(
          ctx,
          "Instance " + id + " does not exist in project " + s.principal().projectName() + ".");
      return;
    }
    if (!shown.ok()) {
      throw new ApiException.BadRequest(shown.message());
    }
    JsonNode instance = shown.body().path("instance");
    boolean active =
        instance.path("status").asText().equals("ACTIVE")
            || instance.path("status").asText().equals("RESTART_REQUIRED");
    Map<String, Object> params = new HashMap<>();
    params.put("page", frame(ctx, instance.path("name").asText(), "instances"));
    params.put("i", instance);
    params.put("active", active);
    params.put(
        "users", active ? listOrEmpty(s, "/instances/" + id + "/users", "users") : missing());
    params.put(
        "databases",
        active ? listOrEmpty(s, "/instances/" + id + "/databases", "databases") : missing());
    params.put("backups", listOrEmpty(s, "/instances/" + id + "/backups", "backups"));
    params.put("logs", active ? listOrEmpty(s, "/instances/" + id + "/log", "logs") : missing());
    params.put("flavors", listOrEmpty(s, "/flavors", "flavors"));
    params.put("configurations", listOrEmpty(s, "/configurations", "configurations"));
    params.put("capacity", listOrEmpty(s, "/instances/" + id + "/capacity", "capacity"));
    ConsoleApi.Reply root = active ? api.get(s, s.v1("/instances/" + id + "/root")) : null;
    params.put("rootEnabled", root != null && root.body().path("rootEnabled").asBoolean(false));
    render(ctx, "instance.jte", params);
  }

  private static JsonNode missing() {
    return MissingNode.getInstance();
  }

  private JsonNode listOrEmpty(ConsoleSession s, String path, String field) {
    ConsoleApi.Reply reply = api.get(s, s.v1(path));
    return reply.ok() ? reply.body().path(field) : missing();
  }

  private void instanceLive(Context ctx) {
    ConsoleSession s = session(ctx);
    String id = ctx.pathParam("id");
    ConsoleApi.Reply shown = api.get(s, s.v1("/instances/" + id));
    if (!shown.ok()) {
      // Deleted meanwhile: back to the list.
      ctx.header("HX-Redirect", "/ui/instances");
      ctx.result("");
      return;
    }
    JsonNode instance = shown.body().path("instance");
    String was = ctx.queryParam("was");
    String now = instance.path("status").asText();
    if (was != null && !was.equals(now) && (isServing(was) != isServing(now))) {
      // Sections such as users and databases appear or go: the whole page must be redrawn.
      ctx.header("HX-Refresh", "true");
    }
    render(
        ctx,
        "instance_live.jte",
        Map.of("page", frame(ctx, "", "instances", false), "i", instance));
  }

  private static boolean isServing(String status) {
    return status.equals("ACTIVE") || status.equals("RESTART_REQUIRED");
  }

  // ---- the create wizard -----------------------------------------------------------------

  private Map<String, Object> wizardParams(
      Context ctx, Map<String, String> values, Map<String, String> errors) {
    ConsoleSession s = session(ctx);
    JsonNode datastores = listOrEmpty(s, "/datastores", "datastores");
    String datastore = values.getOrDefault("datastore", "");
    if (datastore.isEmpty() && datastores.size() > 0) {
      datastore = datastores.get(0).path("name").asText();
    }
    Map<String, Object> params = new HashMap<>();
    params.put("page", frame(ctx, "Create an instance", "instances"));
    params.put("datastores", datastores);
    params.put("datastore", datastore);
    params.put("versions", versionsOf(datastores, datastore));
    params.put("flavors", listOrEmpty(s, "/flavors", "flavors"));
    params.put("v", values);
    params.put("errors", errors);
    return params;
  }

  private static JsonNode versionsOf(JsonNode datastores, String name) {
    for (JsonNode d : datastores) {
      if (d.path("name").asText().equals(name)) {
        return d.path("versions");
      }
    }
    return missing();
  }

  private void wizard(Context ctx) {
    render(ctx, "wizard.jte", wizardParams(ctx, Map.of("volume", "1"), Map.of()));
  }

  private void wizardVersions(Context ctx) {
    ConsoleSession s = session(ctx);
    JsonNode datastores = listOrEmpty(s, "/datastores", "datastores");
    String datastore = ctx.queryParam("datastore") == null ? "" : ctx.queryParam("datastore");
    render(
        ctx,
        "wizard_versions.jte",
        Map.of("versions", versionsOf(datastores, datastore), "selected", ""));
  }

  private void create(Context ctx) {
    ConsoleSession s = session(ctx);
    Map<String, String> v = new HashMap<>();
    for (String field :
        List.of(
            "name",
            "datastore",
            "version",
            "flavor",
            "volume",
            "databases",
            "user",
            "password",
            "public",
            "cidrs")) {
      v.put(field, form(ctx, field));
    }
    Map<String, Object> instance = new LinkedHashMap<>();
    instance.put("name", v.get("name"));
    instance.put("flavorRef", v.get("flavor"));
    Object size = v.get("volume");
    try {
      size = Integer.parseInt(v.get("volume"));
    } catch (NumberFormatException e) {
      // the API names the field and the rule
    }
    instance.put("volume", obj("size", size));
    Map<String, Object> datastore = obj("type", v.get("datastore"));
    if (!v.get("version").isEmpty()) {
      datastore.put("version", v.get("version"));
    }
    instance.put("datastore", datastore);
    List<Map<String, Object>> databases = new ArrayList<>();
    for (String db : v.get("databases").split("[,\\s]+")) {
      if (!db.isBlank()) {
        databases.add(obj("name", db.strip()));
      }
    }
    if (!databases.isEmpty()) {
      instance.put("databases", databases);
    }
    if (!v.get("user").isEmpty() || !v.get("password").isEmpty()) {
      instance.put(
          "users",
          List.of(
              obj(
                  "name", v.get("user"),
                  "password", v.get("password"),
                  "databases", databases)));
    }
    Map<String, Object> access = obj("is_public", !v.get("public").isEmpty());
    List<String> cidrs = new ArrayList<>();
    for (String cidr : v.get("cidrs").split("[,\\s]+")) {
      if (!cidr.isBlank()) {
        cidrs.add(cidr.strip());
      }
    }
    if (!cidrs.isEmpty()) {
      access.put("allowed_cidrs", cidrs);
    }
    instance.put("access", access);
    ConsoleApi.Reply reply = api.post(s, s.v1("/instances"), obj("instance", instance));
    if (reply.ok()) {
      notice(ctx, "ok", "Instance " + v.get("name") + " is being created.");
      ctx.redirect(
          "/ui/instances/" + reply.body().at("/instance/id").asText(),
          io.javalin.http.HttpStatus.SEE_OTHER);
      return;
    }
    v.put("password", ""); // never sent back to the browser
    render(
        ctx.status(reply.status()), "wizard.jte", wizardParams(ctx, v, errorsFor(reply.message())));
  }

  /**
   * Puts the API's message beside the field it names ({@code instance['volume']['size']} → the
   * volume field); messages that name no field show above the form.
   */
  static Map<String, String> errorsFor(String message) {
    Map<String, String> errors = new HashMap<>();
    Matcher m = FIELD.matcher(message);
    List<String> named = new ArrayList<>();
    while (m.find()) {
      named.add(m.group(1));
    }
    String field = "form";
    for (String name : named) {
      String mapped =
          switch (name) {
            case "name" ->
                named.contains("users")
                    ? "user"
                    : named.contains("databases") ? "databases" : "name";
            case "password" -> "password";
            case "flavorRef" -> "flavor";
            case "volume", "size" -> "volume";
            case "type" -> "datastore";
            case "version" -> "version";
            case "databases" -> "databases";
            case "users" -> "user";
            case "access", "allowed_cidrs", "is_public" -> "cidrs";
            default -> null;
          };
      if (mapped != null) {
        field = mapped;
      }
    }
    if (field.equals("form") && message.toLowerCase(Locale.ROOT).contains("flavor")) {
      field = "flavor";
    }
    errors.put(field, message);
    return errors;
  }

  // ---- instance actions ------------------------------------------------------------------

  private void instanceAction(Context ctx) {
    ConsoleSession s = session(ctx);
    String id = ctx.pathParam("id");
    String back = "/ui/instances/" + id;
    String path = s.v1("/instances/" + id);
    switch (ctx.pathParam("action")) {
      case "restart" ->
          done(ctx, api.post(s, path + "/action", obj("restart", Map.of())), "Restarting.", back);
      case "resize-flavor" ->
          done(
              ctx,
              api.post(s, path + "/action", obj("resize", obj("flavorRef", form(ctx, "flavor")))),
              "Resizing to flavor " + form(ctx, "flavor") + ".",
              back);
      case "resize-volume" ->
          done(
              ctx,
              api.post(
                  s,
                  path + "/action",
                  obj("resize", obj("volume", obj("size", number(form(ctx, "size")))))),
              "Growing the volume to " + form(ctx, "size") + " GB.",
              back);
      case "delete" -> delete(ctx, s, id, path);
      case "users" -> {
        String user = form(ctx, "name");
        List<Map<String, Object>> dbs = new ArrayList<>();
        if (!form(ctx, "database").isEmpty()) {
          dbs.add(obj("name", form(ctx, "database")));
        }
        done(
            ctx,
            api.post(
                s,
                path + "/users",
                obj(
                    "users",
                    List.of(
                        obj(
                            "name",
                            user,
                            "password",
                            ctx.formParam("password"),
                            "databases",
                            dbs)))),
            "User " + user + " created.",
            back);
      }
      case "databases" ->
          done(
              ctx,
              api.post(
                  s,
                  path + "/databases",
                  obj("databases", List.of(obj("name", form(ctx, "name"))))),
              "Database " + form(ctx, "name") + " created.",
              back);
      case "root" -> {
        ConsoleApi.Reply reply = api.post(s, path + "/root", null);
        if (!reply.ok()) {
          done(ctx, reply, "", back);
          return;
        }
        // Shown once, in this response only: never in a cookie, a URL or a later page.
        render(
            ctx,
            "secret.jte",
            Map.of(
                "page",
                frame(ctx, "Root enabled", "instances"),
                "heading",
                "Root access enabled",
                "name",
                reply.body().at("/user/name").asText(),
                "secret",
                reply.body().at("/user/password").asText(),
                "back",
                back));
      }
      case "backup" ->
          done(
              ctx,
              api.post(
                  s,
                  s.v1("/backups"),
                  obj(
                      "backup",
                      obj(
                          "name",
                          form(ctx, "name").isEmpty() ? "console backup" : form(ctx, "name"),
                          "instance",
                          id))),
              "Backup started.",
              back);
      case "replica" ->
          done(
              ctx,
              api.post(
                  s,
                  s.v1("/instances"),
                  obj("instance", obj("name", form(ctx, "name"), "replica_of", id))),
              "Replica " + form(ctx, "name") + " is being created.",
              back);
      case "promote" ->
          done(
              ctx,
              api.post(s, path + "/action", obj("promote_to_replica_source", Map.of())),
              "Promoting this replica.",
              back);
      case "eject" ->
          done(
              ctx,
              api.post(s, path + "/action", obj("eject_replica_source", Map.of())),
              "Ejecting the lost primary.",
              back);
      case "attach" ->
          done(
              ctx,
              api.put(s, path, obj("instance", obj("configuration", form(ctx, "configuration")))),
              "Configuration group attached.",
              back);
      case "detach" -> {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("configuration", null);
        done(ctx, api.put(s, path, obj("instance", body)), "Configuration group detached.", back);
      }
      default -> notFound(ctx, "There is no such action.");
    }
  }

  private void delete(Context ctx, ConsoleSession s, String id, String path) {
    ConsoleApi.Reply shown = api.get(s, path);
    String name = shown.body().at("/instance/name").asText();
    if (!shown.ok() || !form(ctx, "confirm").equals(name)) {
      notice(ctx, "error", "Type the instance's name exactly to delete it.");
      ctx.redirect("/ui/instances/" + id, io.javalin.http.HttpStatus.SEE_OTHER);
      return;
    }
    ConsoleApi.Reply reply = api.delete(s, path);
    if (reply.ok()) {
      notice(ctx, "ok", "Instance " + name + " is being deleted.");
      ctx.redirect("/ui/instances", io.javalin.http.HttpStatus.SEE_OTHER);
    } else {
      done(ctx, reply, "", "/ui/instances/" + id);
    }
  }

  private static Object number(String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return value;
    }
  }

  private void userAction(Context ctx) {
    ConsoleSession s = session(ctx);
    String id = ctx.pathParam("id");
    String user = ctx.pathParam("user");
    String back = "/ui/instances/" + id;
    String path = s.v1("/instances/" + id + "/users/" + enc(user));
    switch (ctx.pathParam("action")) {
      case "delete" -> done(ctx, api.delete(s, path), "User " + user + " deleted.", back);
      case "grant" ->
          done(
              ctx,
              api.put(
                  s,
                  path + "/databases",
                  obj("databases", List.of(obj("name", form(ctx, "database"))))),
              "Granted " + user + " access to " + form(ctx, "database") + ".",
              back);
      case "revoke" ->
          done(
              ctx,
              api.delete(s, path + "/databases/" + enc(form(ctx, "database"))),
              "Revoked " + user + "'s access to " + form(ctx, "database") + ".",
              back);
      default -> notFound(ctx, "There is no such action.");
    }
  }

  private void deleteDatabase(Context ctx) {
    ConsoleSession s = session(ctx);
    String id = ctx.pathParam("id");
    String db = ctx.pathParam("db");
    done(
        ctx,
        api.delete(s, s.v1("/instances/" + id + "/databases/" + enc(db))),
        "Database " + db + " deleted.",
        "/ui/instances/" + id);
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  // ---- backups ---------------------------------------------------------------------------

  private void backups(Context ctx) {
    ConsoleSession s = session(ctx);
    render(
        ctx,
        "backups.jte",
        Map.of(
            "page",
            frame(ctx, "Backups", "backups"),
            "backups",
            listOrEmpty(s, "/backups", "backups"),
            "flavors",
            listOrEmpty(s, "/flavors", "flavors")));
  }

  private void restore(Context ctx) {
    ConsoleSession s = session(ctx);
    String backup = ctx.pathParam("id");
    ConsoleApi.Reply reply =
        api.post(
            s,
            s.v1("/instances"),
            obj(
                "instance",
                obj(
                    "name", form(ctx, "name"),
                    "flavorRef", form(ctx, "flavor"),
                    "volume", obj("size", number(form(ctx, "volume"))),
                    "restorePoint", obj("backupRef", backup))));
    if (reply.ok()) {
      notice(ctx, "ok", "Restoring into new instance " + form(ctx, "name") + ".");
      ctx.redirect(
          "/ui/instances/" + reply.body().at("/instance/id").asText(),
          io.javalin.http.HttpStatus.SEE_OTHER);
    } else {
      done(ctx, reply, "", "/ui/backups");
    }
  }

  private void deleteBackup(Context ctx) {
    ConsoleSession s = session(ctx);
    done(
        ctx,
        api.delete(s, s.v1("/backups/" + ctx.pathParam("id"))),
        "Backup deleted.",
        "/ui/backups");
  }

  // ---- clusters --------------------------------------------------------------------------

  private void clusters(Context ctx) {
    ConsoleSession s = session(ctx);
    render(
        ctx,
        "clusters.jte",
        Map.of(
            "page", frame(ctx, "Clusters", "clusters"),
            "clusters", listOrEmpty(s, "/clusters", "clusters")));
  }

  private void cluster(Context ctx) {
    ConsoleSession s = session(ctx);
    ConsoleApi.Reply shown = api.get(s, s.v1("/clusters/" + ctx.pathParam("id")));
    if (!shown.ok()) {
      notFound(ctx, "Cluster " + ctx.pathParam("id") + " does not exist in this project.");
      return;
    }
    JsonNode cluster = shown.body().path("cluster");
    render(
        ctx,
        "cluster.jte",
        Map.of(
            "page", frame(ctx, cluster.path("name").asText(), "clusters"),
            "c", cluster,
            "flavors", listOrEmpty(s, "/flavors", "flavors")));
  }

  private void clusterAction(Context ctx) {
    ConsoleSession s = session(ctx);
    String id = ctx.pathParam("id");
    String path = s.v1("/clusters/" + id);
    String back = "/ui/clusters/" + id;
    switch (ctx.pathParam("action")) {
      case "grow" ->
          done(
              ctx,
              api.post(
                  s,
                  path,
                  obj(
                      "grow",
                      List.of(
                          obj(
                              "flavorRef", form(ctx, "flavor"),
                              "volume", obj("size", number(form(ctx, "volume"))))))),
              "Adding a member.",
              back);
      case "shrink" ->
          done(
              ctx,
              api.post(s, path, obj("shrink", List.of(obj("id", form(ctx, "member"))))),
              "Removing the member.",
              back);
      case "delete" -> {
        ConsoleApi.Reply reply = api.delete(s, path);
        if (reply.ok()) {
          notice(ctx, "ok", "Cluster is being deleted.");
          ctx.redirect("/ui/clusters", io.javalin.http.HttpStatus.SEE_OTHER);
        } else {
          done(ctx, reply, "", back);
        }
      }
      default -> notFound(ctx, "There is no such action.");
    }
  }

  // ---- admin -----------------------------------------------------------------------------

  private void adminDatastores(Context ctx) {
    ConsoleSession s = session(ctx);
    if (!s.admin()) {
      errorPage(ctx, 403, "Admins only", "This page needs the admin role.");
      return;
    }
    render(
        ctx,
        "admin_datastores.jte",
        Map.of(
            "page", frame(ctx, "Datastores", "admin"),
            "datastores", listOrEmpty(s, "/datastores", "datastores")));
  }

  private void adminFlavors(Context ctx) {
    ConsoleSession s = session(ctx);
    if (!s.admin()) {
      errorPage(ctx, 403, "Admins only", "This page needs the admin role.");
      return;
    }
    render(
        ctx,
        "admin_flavors.jte",
        Map.of(
            "page", frame(ctx, "Flavors", "admin"),
            "flavors", listOrEmpty(s, "/flavors", "flavors")));
  }
}

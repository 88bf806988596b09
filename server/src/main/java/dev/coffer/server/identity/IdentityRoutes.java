package dev.coffer.server.identity;

import dev.coffer.server.http.Fields;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Coffer's native identity API under {@code /coffer/v1}: login, tokens, projects, users. */
public final class IdentityRoutes {
  private final IdentityService identity;

  public IdentityRoutes(IdentityService identity) {
    this.identity = identity;
  }

  public void register(Javalin app) {
    app.post("/coffer/v1/tokens", this::login);
    app.get("/coffer/v1/tokens", this::listTokens);
    app.delete("/coffer/v1/tokens/{token_id}", this::revoke);
    app.get("/coffer/v1/projects", this::listProjects);
    app.post("/coffer/v1/projects", this::createProject);
    app.post("/coffer/v1/users", this::createUser);
  }

  private void login(Context ctx) {
    Fields body = Fields.body(ctx);
    IdentityService.IssuedToken issued;
    if (body.has("username")) {
      issued =
          identity.login(
              body.string("username", 255),
              body.string("password", 1024),
              body.optionalString("project", 255),
              body.optionalString("description", 255));
    } else {
      // A logged-in caller asking for one more token (scripts, CI): no password needed.
      Principal caller = identity.authenticate(ctx.header("X-Auth-Token"));
      Optional<String> project = body.optionalString("project", 255);
      issued =
          project.isPresent()
              ? identity.rescope(caller, project.get(), body.optionalString("description", 255))
              : identity.issueFor(caller, body.optionalString("description", 255));
    }
    Map<String, Object> token = new LinkedHashMap<>();
    token.put("id", issued.secret());
    token.put("token_id", issued.token().id());
    token.put("project_id", issued.principal().projectId());
    token.put("project_name", issued.principal().projectName());
    token.put("user", issued.principal().userName());
    token.put("roles", List.of(issued.principal().role().wireName()));
    token.put("expires_at", issued.token().expiresAt().toString());
    ctx.status(201).json(Map.of("token", token));
  }

  private void listTokens(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    List<Map<String, Object>> tokens =
        identity.tokens(principal).stream()
            .map(
                t -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("token_id", t.id());
                  m.put("description", t.description());
                  m.put("project_id", t.projectId());
                  m.put("created", t.createdAt().toString());
                  m.put("expires_at", t.expiresAt().toString());
                  m.put("current", t.id().equals(principal.tokenId()));
                  return m;
                })
            .toList();
    ctx.json(Map.of("tokens", tokens));
  }

  private void revoke(Context ctx) {
    identity.revoke(Authentication.principal(ctx), ctx.pathParam("token_id"));
    ctx.status(204);
  }

  private void listProjects(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    List<Map<String, Object>> projects;
    if (principal.isAdmin()) {
      projects =
          identity.allProjects().stream()
              .map(
                  p ->
                      Map.<String, Object>of(
                          "id", p.id(), "name", p.name(), "role", roleOf(principal, p)))
              .toList();
    } else {
      projects =
          identity.memberships(principal).stream()
              .map(
                  m ->
                      Map.<String, Object>of(
                          "id",
                          m.project().id(),
                          "name",
                          m.project().name(),
                          "role",
                          m.role().wireName()))
              .toList();
    }
    ctx.json(Map.of("projects", projects));
  }

  private String roleOf(Principal principal, Project project) {
    return identity.memberships(principal).stream()
        .filter(m -> m.project().id().equals(project.id()))
        .map(m -> m.role().wireName())
        .findFirst()
        .orElse("");
  }

  private void createProject(Context ctx) {
    Authentication.admin(ctx);
    Fields project = Fields.body(ctx, "project");
    Project created = identity.createProject(validName(project, "name"));
    ctx.status(201).json(Map.of("project", Map.of("id", created.id(), "name", created.name())));
  }

  private void createUser(Context ctx) {
    Authentication.admin(ctx);
    Fields user = Fields.body(ctx, "user");
    String name = validName(user, "name");
    String password = user.string("password", 1024);
    if (password.length() < 8) {
      throw Fields.invalid(user.at("password"), "must be at least 8 characters long");
    }
    String projectId = user.string("project_id", 64);
    String roleName = user.optionalString("role", 16).orElse("member");
    Role role =
        Role.parse(roleName)
            .orElseThrow(() -> Fields.invalid(user.at("role"), "must be 'admin' or 'member'"));
    UserAccount account = identity.createUserAccount(name, password, projectId, role);
    String project = identity.project(projectId).map(Project::id).orElse(projectId);
    ctx.status(201)
        .json(
            Map.of(
                "user",
                Map.of(
                    "id",
                    account.id(),
                    "name",
                    name,
                    "project_id",
                    project,
                    "role",
                    role.wireName())));
  }

  private static String validName(Fields fields, String field) {
    String name = fields.name(field);
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
      throw Fields.invalid(
          fields.at(field),
          "must start with a letter or digit and contain only letters, digits, '_', '.' or '-' (at most 64)");
    }
    return name;
  }
}

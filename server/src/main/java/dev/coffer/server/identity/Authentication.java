package dev.coffer.server.identity;

import dev.coffer.server.http.ApiException;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * Establishes the caller for every API request: {@code X-Auth-Token} → {@link Principal}. Under
 * {@code /v1.0/{project_id}/} the token must be scoped to that project (403 otherwise).
 */
public final class Authentication {
  private static final String ATTRIBUTE = "coffer.principal";

  private final IdentityService identity;

  public Authentication(IdentityService identity) {
    this.identity = identity;
  }

  public void register(Javalin app) {
    app.before(
        ctx -> {
          String path = ctx.path();
          if (path.startsWith("/v1.0/")) {
            Principal principal = identity.authenticate(ctx.header("X-Auth-Token"));
            String[] parts = path.split("/");
            String project = parts.length > 2 ? parts[2] : "";
            if (!project.isEmpty() && !project.equals(principal.projectId())) {
              throw new ApiException.Forbidden(
                  "The token is scoped to project "
                      + principal.projectId()
                      + ", not "
                      + project
                      + ". Log in to that project to use it.");
            }
            ctx.attribute(ATTRIBUTE, principal);
          } else if (path.startsWith("/coffer/v1/")
              && !(path.equals("/coffer/v1/tokens") && ctx.method().name().equals("POST"))) {
            ctx.attribute(ATTRIBUTE, identity.authenticate(ctx.header("X-Auth-Token")));
          }
        });
  }

  public static Principal principal(Context ctx) {
    Principal principal = ctx.attribute(ATTRIBUTE);
    if (principal == null) {
      throw new ApiException.Unauthorized("Authentication required.");
    }
    return principal;
  }

  /** The caller, if this request carried a valid token (for the audit log, which never fails). */
  public static java.util.Optional<Principal> caller(Context ctx) {
    return java.util.Optional.ofNullable(ctx.attribute(ATTRIBUTE));
  }

  public static Principal admin(Context ctx) {
    Principal principal = principal(ctx);
    if (!principal.isAdmin()) {
      throw new ApiException.Forbidden("This operation needs the admin role.");
    }
    return principal;
  }
}

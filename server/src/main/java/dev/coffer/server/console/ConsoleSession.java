package dev.coffer.server.console;

import dev.coffer.server.identity.Principal;

/**
 * A signed-in console user: the API token from the HTTP-only cookie, who it belongs to, and the
 * CSRF token every form and htmx request of this session must carry.
 */
record ConsoleSession(String token, Principal principal, String csrf) {
  /** The API path of a project resource, e.g. {@code /v1.0/<project>/instances}. */
  String v1(String path) {
    return "/v1.0/" + principal.projectId() + path;
  }

  boolean admin() {
    return principal.isAdmin();
  }

  @Override
  public String toString() {
    return "ConsoleSession[user=" + principal.userName() + "]";
  }
}

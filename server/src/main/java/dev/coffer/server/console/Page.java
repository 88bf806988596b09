package dev.coffer.server.console;

import java.util.List;

/**
 * What every console page's frame shows: its title and section, who is signed in, the projects they
 * can switch to, the CSRF token for forms, and a one-time notice from the previous action.
 */
public record Page(
    String title,
    String section,
    String user,
    String projectId,
    String projectName,
    boolean admin,
    List<ProjectChoice> projects,
    String csrf,
    Notice notice) {

  /** A project the user belongs to, for the switcher. */
  public record ProjectChoice(String id, String name, boolean current) {}

  /** A message shown once at the top of the next page ({@code kind}: ok or error). */
  public record Notice(String kind, String text) {}

  /** A page shown without a session (login, errors before sign-in). */
  static Page anonymous(String title, String csrf, Notice notice) {
    return new Page(title, "", "", "", "", false, List.of(), csrf, notice);
  }

  public boolean signedIn() {
    return !user.isEmpty();
  }
}

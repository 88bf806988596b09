package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coffer login} and {@code coffer logout}: the token saved in the config file. */
final class LoginCommands {
  private LoginCommands() {}

  @Command(
      name = "login",
      description = {
        "Get a token for a user and save it with the server URL and project.",
        "--project takes a project name or id here; without it the user's own project is used."
      })
  static final class Login implements Runnable {
    private final Cli cli;

    @Option(
        names = "--username",
        paramLabel = "USERNAME",
        required = true,
        description = "User name.")
    String username;

    @Option(
        names = "--password",
        paramLabel = "PASSWORD",
        description = "Password (else COFFER_PASSWORD, else asked without echo).")
    String password;

    Login(Cli cli) {
      this.cli = cli;
    }

    @Override
    public void run() {
      ObjectNode body = cli.object().put("username", username);
      body.put(
          "password", cli.password(password, "COFFER_PASSWORD", "Password for " + username + ": "));
      String project = cli.project != null ? cli.project : cli.env("COFFER_PROJECT");
      if (project != null) {
        body.put("project", project);
      }
      body.put("description", "coffer login");
      JsonNode token = cli.anonymousIdentity().post("/tokens", body).path("token");
      cli.saveConfig(
          new Config(
              cli.serverUrl(),
              token.path("id").asText(),
              text(token, "token_id"),
              text(token, "project_id"),
              text(token, "project_name"),
              text(token, "user")));
      if (cli.json()) {
        // The secret is in the config file; it is not echoed.
        ObjectNode shown = token.deepCopy();
        shown.remove("id");
        cli.printJson(cli.object().set("token", shown));
        return;
      }
      cli.out.printf(
          "Logged in to %s as %s (%s), project %s (%s).%n",
          cli.serverUrl(),
          token.path("user").asText(username),
          Cli.joined(token.path("roles"), null),
          token.path("project_name").asText("?"),
          token.path("project_id").asText("?"));
      if (token.hasNonNull("expires_at")) {
        cli.out.println("The token expires at " + token.path("expires_at").asText() + ".");
      }
    }
  }

  @Command(name = "logout", description = "Revoke the saved token and forget it.")
  static final class Logout implements Runnable {
    private final Cli cli;

    Logout(Cli cli) {
      this.cli = cli;
    }

    @Override
    public void run() {
      Config config = cli.config();
      if (config.token() == null) {
        cli.done("Not logged in.");
        return;
      }
      if (config.tokenId() != null) {
        try {
          cli.identity().delete("/tokens/" + ApiClient.segment(config.tokenId()));
        } catch (ApiException e) {
          // An expired or already revoked token (401/404) is as good as revoked.
          if (e.status() != 401 && e.status() != 404) {
            throw e;
          }
        }
      }
      cli.saveConfig(config.withoutToken());
      cli.done("Logged out.");
    }
  }

  private static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.get(field).asText() : null;
  }
}

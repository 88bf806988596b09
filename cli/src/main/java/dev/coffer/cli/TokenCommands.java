package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer token ...}: the caller's own API tokens. */
@Command(name = "token", description = "Create, list and revoke your API tokens.")
final class TokenCommands extends Cli.Group {
  private final Cli cli;

  TokenCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "create",
      description = {
        "Create another token for scripts and print it (it is shown only this once).",
        "The server asks for your password again, as for 'coffer login'."
      })
  void create(
      @Option(names = "--description", paramLabel = "TEXT", description = "What the token is for.")
          String description,
      @Option(
              names = "--username",
              paramLabel = "USERNAME",
              description = "User name (default: the logged-in user).")
          String username,
      @Option(
              names = "--password",
              paramLabel = "PASSWORD",
              description = "Password (else COFFER_PASSWORD, else asked without echo).")
          String password) {
    String user = username != null ? username : cli.config().user();
    if (user == null) {
      throw new CliException("no user name known", "pass --username or run 'coffer login' first");
    }
    ObjectNode body = cli.object().put("username", user);
    body.put("password", cli.password(password, "COFFER_PASSWORD", "Password for " + user + ": "));
    String project = cli.projectId();
    if (project != null) {
      body.put("project", project);
    }
    if (description != null) {
      body.put("description", description);
    }
    JsonNode created = cli.anonymousIdentity().post("/tokens", body);
    cli.print(
        created,
        out -> {
          JsonNode token = created.path("token");
          Table.fields()
              .field("token", token.path("id").asText())
              .field("token_id", token.path("token_id").asText())
              .field("project", token.path("project_name").asText())
              .field("project_id", token.path("project_id").asText())
              .field("expires_at", token.path("expires_at").asText())
              .print(out);
          out.println("Keep the token safe: it is shown only this once.");
        });
  }

  @Command(name = "list", description = "List your tokens (their public ids, not the secrets).")
  void list() {
    JsonNode body = cli.identity().get("/tokens");
    String current = cli.config().tokenId();
    cli.print(
        body,
        out -> {
          Table table =
              Table.of("token_id", "description", "project_id", "created", "expires_at", "");
          for (JsonNode token : body.path("tokens")) {
            String id = token.path("token_id").asText();
            table.row(
                id,
                token.path("description").asText(""),
                token.path("project_id").asText(""),
                token.path("created").asText(""),
                token.path("expires_at").asText(""),
                id.equals(current) ? "(this login)" : "");
          }
          table.print(out);
        });
  }

  @Command(name = "revoke", description = "Revoke a token by its token_id.")
  void revoke(@Parameters(paramLabel = "TOKEN_ID") String tokenId) {
    cli.identity().delete("/tokens/" + ApiClient.segment(tokenId));
    if (tokenId.equals(cli.config().tokenId())) {
      cli.saveConfig(cli.config().withoutToken());
      cli.done("Token " + tokenId + " revoked; it was this login's, so you are logged out.");
    } else {
      cli.done("Token " + tokenId + " revoked.");
    }
  }
}

package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coffer user-account ...}: Coffer's own users, who log in (not the users inside a database,
 * which are {@code coffer user}).
 */
@Command(
    name = "user-account",
    description = "Create Coffer login accounts (admin). Database users are 'coffer user'.")
final class UserAccountCommands extends Cli.Group {
  enum Role {
    member,
    admin
  }

  private final Cli cli;

  UserAccountCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "create",
      description = {
        "Create a login account in a project (admin).",
        "--project ID (required here) names the project the account belongs to."
      })
  void create(
      @Parameters(paramLabel = "NAME") String name,
      @Option(
              names = "--password",
              paramLabel = "PASSWORD",
              description = "Its password (else asked without echo).")
          String password,
      @Option(
              names = "--role",
              paramLabel = "ROLE",
              defaultValue = "member",
              description = "member (default) or admin.")
          Role role) {
    if (cli.project == null) {
      throw usage("user-account create needs --project ID");
    }
    ObjectNode user = cli.object().put("name", name);
    user.put(
        "password", cli.password(password, null, "Password for the new account " + name + ": "));
    user.put("project_id", cli.project);
    user.put("role", role.name());
    JsonNode body = cli.identity().post("/users", cli.object().set("user", user));
    cli.print(
        body,
        out -> {
          JsonNode created = body.path("user");
          Table.fields()
              .field("id", created.path("id").asText())
              .field("name", created.path("name").asText())
              .field("project_id", created.path("project_id").asText())
              .field("role", created.path("role").asText())
              .print(out);
        });
  }
}

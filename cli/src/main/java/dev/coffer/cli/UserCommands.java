package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coffer user ...}: users inside an instance's database engine. A user is addressed as
 * {@code name} or, with {@code --host}, {@code name@host}, percent-encoded into one path segment.
 */
@Command(
    name = "user",
    description = "Manage database users of an instance and what they may access.")
final class UserCommands extends Cli.Group {
  private final Cli cli;

  UserCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "create", description = "Create a user.")
  void create(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(
              names = "--password",
              paramLabel = "PASSWORD",
              description = "Its password (else asked without echo).")
          String password,
      @Option(
              names = "--host",
              paramLabel = "HOST",
              description = "Host it may connect from, e.g. 10.0.0.%.")
          String host,
      @Option(names = "--database", paramLabel = "DB", description = "Database to grant.")
          List<String> databases) {
    ApiClient api = cli.trove();
    String id = instanceId(api, instance);
    ObjectNode user = cli.object().put("name", name);
    user.put("password", cli.password(password, null, "Password for " + name + ": "));
    ArrayNode grants = user.putArray("databases");
    if (databases != null) {
      databases.forEach(db -> grants.addObject().put("name", db));
    }
    if (host != null) {
      user.put("host", host);
    }
    ObjectNode body = cli.object();
    body.putArray("users").add(user);
    api.post("/instances/" + id + "/users", body);
    cli.done("Created user " + who(name, host) + " in " + instance + ".");
  }

  @Command(name = "list", description = "List the users of an instance.")
  void list(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    JsonNode body = api.get("/instances/" + instanceId(api, instance) + "/users");
    cli.print(
        body,
        out -> {
          Table table = Table.of("name", "host", "databases");
          for (JsonNode user : body.path("users")) {
            table.row(
                user.path("name").asText(),
                user.path("host").asText(""),
                Cli.joined(user.path("databases"), "name"));
          }
          table.print(out);
        });
  }

  @Command(name = "show", description = "Show a user.")
  void show(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--host", paramLabel = "HOST", description = "The user's host.")
          String host) {
    ApiClient api = cli.trove();
    JsonNode body = api.get(userPath(api, instance, name, host));
    cli.print(
        body,
        out -> {
          JsonNode user = body.path("user");
          Table.fields()
              .field("name", user.path("name").asText())
              .field("host", user.path("host").asText(""))
              .field("databases", Cli.joined(user.path("databases"), "name"))
              .print(out);
        });
  }

  @Command(name = "delete", description = "Delete a user.")
  void delete(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--host", paramLabel = "HOST", description = "The user's host.")
          String host) {
    ApiClient api = cli.trove();
    api.delete(userPath(api, instance, name, host));
    cli.done("Deleted user " + who(name, host) + " from " + instance + ".");
  }

  @Command(name = "update", description = "Change a user's password, name or host.")
  void update(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--host", paramLabel = "HOST", description = "The user's current host.")
          String host,
      @Option(names = "--new-password", paramLabel = "PASSWORD", description = "New password.")
          String newPassword,
      @Option(names = "--new-name", paramLabel = "NAME", description = "New name.") String newName,
      @Option(names = "--new-host", paramLabel = "HOST", description = "New host.")
          String newHost) {
    if (newPassword == null && newName == null && newHost == null) {
      throw usage("user update needs --new-password, --new-name or --new-host");
    }
    ObjectNode changes = cli.object();
    if (newName != null) {
      changes.put("name", newName);
    }
    if (newPassword != null) {
      changes.put("password", newPassword);
    }
    if (newHost != null) {
      changes.put("host", newHost);
    }
    ApiClient api = cli.trove();
    api.put(userPath(api, instance, name, host), cli.object().set("user", changes));
    cli.done("Updated user " + who(name, host) + " in " + instance + ".");
  }

  @Command(name = "grant", description = "Give a user access to databases.")
  void grant(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Parameters(paramLabel = "DB", arity = "1..*") List<String> databases,
      @Option(names = "--host", paramLabel = "HOST", description = "The user's host.")
          String host) {
    ObjectNode body = cli.object();
    ArrayNode list = body.putArray("databases");
    databases.forEach(db -> list.addObject().put("name", db));
    ApiClient api = cli.trove();
    api.put(userPath(api, instance, name, host) + "/databases", body);
    cli.done("Granted " + who(name, host) + " access to " + String.join(", ", databases) + ".");
  }

  @Command(name = "revoke", description = "Take a user's access to a database away.")
  void revoke(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Parameters(paramLabel = "DB") String database,
      @Option(names = "--host", paramLabel = "HOST", description = "The user's host.")
          String host) {
    ApiClient api = cli.trove();
    api.delete(userPath(api, instance, name, host) + "/databases/" + ApiClient.segment(database));
    cli.done("Revoked " + who(name, host) + "'s access to " + database + ".");
  }

  @Command(name = "access", description = "List the databases a user may access.")
  void access(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--host", paramLabel = "HOST", description = "The user's host.")
          String host) {
    ApiClient api = cli.trove();
    JsonNode body = api.get(userPath(api, instance, name, host) + "/databases");
    cli.print(
        body,
        out -> {
          Table table = Table.of("database");
          body.path("databases").forEach(db -> table.row(db.path("name").asText()));
          table.print(out);
        });
  }

  private static String instanceId(ApiClient api, String instance) {
    return ApiClient.segment(InstanceCommands.find(api, instance).path("id").asText());
  }

  /** {@code /instances/{id}/users/carol%4010.0.0.%25} for carol with host {@code 10.0.0.%}. */
  private static String userPath(ApiClient api, String instance, String name, String host) {
    return "/instances/"
        + instanceId(api, instance)
        + "/users/"
        + ApiClient.segment(who(name, host));
  }

  private static String who(String name, String host) {
    return host == null ? name : name + "@" + host;
  }
}

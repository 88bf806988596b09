package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer database ...}: databases (schemas) inside an instance. */
@Command(name = "database", description = "Create, list and delete databases in an instance.")
final class DatabaseCommands extends Cli.Group {
  private final Cli cli;

  DatabaseCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "create", description = "Create a database.")
  void create(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--character-set", paramLabel = "CHARSET", description = "e.g. utf8mb4.")
          String characterSet,
      @Option(
              names = "--collate",
              paramLabel = "COLLATION",
              description = "e.g. utf8mb4_general_ci.")
          String collate) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, instance).path("id").asText();
    ObjectNode database = cli.object().put("name", name);
    if (characterSet != null) {
      database.put("character_set", characterSet);
    }
    if (collate != null) {
      database.put("collate", collate);
    }
    ObjectNode body = cli.object();
    body.putArray("databases").add(database);
    api.post("/instances/" + ApiClient.segment(id) + "/databases", body);
    cli.done("Created database " + name + " in " + instance + ".");
  }

  @Command(name = "list", description = "List the databases of an instance.")
  void list(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, instance).path("id").asText();
    JsonNode body = api.get("/instances/" + ApiClient.segment(id) + "/databases");
    cli.print(
        body,
        out -> {
          Table table = Table.of("name");
          body.path("databases").forEach(db -> table.row(db.path("name").asText()));
          table.print(out);
        });
  }

  @Command(name = "delete", description = "Delete a database and its data.")
  void delete(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, instance).path("id").asText();
    api.delete("/instances/" + ApiClient.segment(id) + "/databases/" + ApiClient.segment(name));
    cli.done("Deleted database " + name + " from " + instance + ".");
  }
}

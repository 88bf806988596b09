package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code coffer datastore ...}: the engines and versions the server offers. */
@Command(
    name = "datastore",
    description = "List database engines and their versions.",
    subcommands = DatastoreCommands.Versions.class)
final class DatastoreCommands extends Cli.Group {
  private final Cli cli;

  DatastoreCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "list", description = "List datastores with their versions.")
  void list() {
    JsonNode body = cli.trove().get("/datastores");
    cli.print(
        body,
        out -> {
          Table table = Table.of("name", "versions", "default");
          for (JsonNode datastore : body.path("datastores")) {
            List<String> versions = new ArrayList<>();
            String defaultVersion = "";
            for (JsonNode version : datastore.path("versions")) {
              versions.add(version.path("name").asText());
              if (version.path("id").asText().equals(datastore.path("default_version").asText())) {
                defaultVersion = version.path("name").asText();
              }
            }
            table.row(datastore.path("name").asText(), String.join(", ", versions), defaultVersion);
          }
          table.print(out);
        });
  }

  /** {@code coffer datastore version list DATASTORE}. */
  @Command(name = "version", description = "List the versions of one datastore.")
  static final class Versions extends Cli.Group {
    private final Cli cli;

    Versions(Cli cli) {
      this.cli = cli;
    }

    @Command(name = "list", description = "List the versions of a datastore.")
    void list(@Parameters(paramLabel = "DATASTORE") String datastore) {
      JsonNode body = cli.trove().get("/datastores/" + ApiClient.segment(datastore) + "/versions");
      cli.print(
          body,
          out -> {
            Table table = Table.of("name", "id", "active");
            for (JsonNode version : body.path("versions")) {
              table.row(
                  version.path("name").asText(),
                  version.path("id").asText(),
                  version.path("active").asInt(1) == 1 ? "yes" : "no");
            }
            table.print(out);
          });
    }
  }
}

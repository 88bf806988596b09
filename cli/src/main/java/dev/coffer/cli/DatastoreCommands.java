package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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

    /** {@code coffer datastore version set DATASTORE VERSION --state ... --projects ...}. */
    @Command(
        name = "set",
        description = {
          "Set a version's state, its visibility or make it the default (admins).",
          "--projects offers it to those projects only; --public to every project."
        })
    void set(
        @Parameters(paramLabel = "DATASTORE") String datastore,
        @Parameters(paramLabel = "VERSION") String version,
        @Option(
                names = "--state",
                paramLabel = "STATE",
                description = "active, evaluation (its instances expire), hidden or deprecated.")
            String state,
        @Option(
                names = "--projects",
                paramLabel = "ID",
                split = ",",
                description = "Offer it only to these projects.")
            List<String> projects,
        @Option(names = "--public", description = "Offer it to every project.") boolean everyone,
        @Option(names = "--default", description = "Make it the datastore's default.")
            boolean makeDefault) {
      if (everyone && projects != null) {
        throw usage("give --public or --projects, not both");
      }
      ObjectNode body = cli.object();
      if (state != null) {
        body.put("state", state);
      }
      if (everyone) {
        body.put("visibility", "public");
      }
      if (projects != null) {
        body.put("visibility", "projects");
        projects.forEach(body.putArray("projects")::add);
      }
      if (makeDefault) {
        body.put("default", true);
      }
      if (body.isEmpty()) {
        throw usage("give at least one of --state, --projects, --public, --default");
      }
      JsonNode updated =
          cli.identity()
              .patch(
                  "/datastores/"
                      + ApiClient.segment(datastore)
                      + "/versions/"
                      + ApiClient.segment(version),
                  body);
      JsonNode v = updated.path("version");
      cli.print(
          updated,
          out ->
              cli.done(
                  datastore
                      + " "
                      + v.path("name").asText()
                      + ": state "
                      + v.path("state").asText()
                      + ", visibility "
                      + v.path("visibility").asText()
                      + (v.path("projects").isEmpty() ? "" : " " + v.path("projects"))
                      + "."));
    }
  }
}

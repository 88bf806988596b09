package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code coffer flavor list}, and resolving a flavor given by name for instance create. */
@Command(name = "flavor", description = "List instance sizes (flavors).")
final class FlavorCommands extends Cli.Group {
  private final Cli cli;

  FlavorCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "list", description = "List flavors.")
  void list() {
    JsonNode body = cli.trove().get("/flavors");
    cli.print(
        body,
        out -> {
          Table table = Table.of("id", "name", "ram_mb", "vcpus", "disk_gb");
          for (JsonNode flavor : body.path("flavors")) {
            table.row(
                idOf(flavor),
                flavor.path("name").asText(),
                flavor.path("ram").asText(),
                flavor.path("vcpus").asText(),
                flavor.path("disk").asText());
          }
          table.print(out);
        });
  }

  /**
   * Finds a flavor by id, else by name, like the openstack client: {@code GET /flavors/{x}}, and on
   * 404 {@code GET /flavors} matched by name.
   */
  static JsonNode find(ApiClient api, String idOrName) {
    try {
      return api.get("/flavors/" + ApiClient.segment(idOrName)).path("flavor");
    } catch (ApiException e) {
      if (e.status() != 404) {
        throw e;
      }
      List<JsonNode> matches = new ArrayList<>();
      for (JsonNode flavor : api.get("/flavors").path("flavors")) {
        if (idOrName.equals(flavor.path("name").asText())) {
          matches.add(flavor);
        }
      }
      if (matches.isEmpty()) {
        throw new CliException(
            "no flavor has the id or name " + idOrName, "see 'coffer flavor list'");
      }
      if (matches.size() > 1) {
        throw new CliException(
            "more than one flavor is named " + idOrName, "give its id; see 'coffer flavor list'");
      }
      return matches.get(0);
    }
  }

  /** Trove flavors have an integer id, or a null id and a string {@code str_id}. */
  static String idOf(JsonNode flavor) {
    JsonNode id = flavor.path("id");
    return id.isNull() || id.isMissingNode() ? flavor.path("str_id").asText() : id.asText();
  }
}

package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer quota ...}: a project's limits and use (Trove's quotas). */
@Command(name = "quota", description = "Show a project's quotas and use; admins set them.")
final class QuotaCommands extends Cli.Group {
  private final Cli cli;

  QuotaCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "show",
      description = {
        "Show the limits and use of the current project, or (admins) of PROJECT.",
      })
  void show(
      @Parameters(paramLabel = "PROJECT", arity = "0..1", description = "A project id (admins).")
          String project) {
    ApiClient api = cli.trove();
    if (project == null) {
      JsonNode body = api.get("/limits");
      JsonNode absolute = body.path("limits").path(0);
      cli.print(
          body,
          out -> {
            Table table = Table.of("resource", "in use", "limit");
            for (String resource : new String[] {"instances", "volumes", "backups", "clusters"}) {
              table.row(
                  resource,
                  absolute.path("used_" + resource).asText(""),
                  limit(absolute.path("max_" + resource).asInt()));
            }
            table.print(out);
          });
      return;
    }
    JsonNode body = api.get("/mgmt/quotas/" + ApiClient.segment(project));
    cli.print(
        body,
        out -> {
          Table table = Table.of("resource", "in use", "limit");
          for (JsonNode quota : body.path("quotas")) {
            table.row(
                quota.path("resource").asText(),
                quota.path("in_use").asText(),
                limit(quota.path("limit").asInt()));
          }
          table.print(out);
        });
  }

  @Command(name = "set", description = "Set some of a project's limits (admins); -1 = no limit.")
  void set(
      @Parameters(paramLabel = "PROJECT", description = "The project's id.") String project,
      @Option(names = "--instances", paramLabel = "N") Integer instances,
      @Option(names = "--volumes", paramLabel = "GB") Integer volumes,
      @Option(names = "--backups", paramLabel = "N") Integer backups,
      @Option(names = "--clusters", paramLabel = "N") Integer clusters) {
    Map<String, Integer> limits = new LinkedHashMap<>();
    limits.put("instances", instances);
    limits.put("volumes", volumes);
    limits.put("backups", backups);
    limits.put("clusters", clusters);
    ObjectNode quotas = cli.object();
    limits.forEach(
        (resource, limit) -> {
          if (limit != null) {
            quotas.put(resource, limit);
          }
        });
    if (quotas.isEmpty()) {
      throw usage("give at least one of --instances, --volumes, --backups, --clusters");
    }
    JsonNode body =
        cli.trove()
            .put("/mgmt/quotas/" + ApiClient.segment(project), cli.object().set("quotas", quotas));
    cli.print(body, out -> cli.done("Set the quotas of project " + project + ": " + quotas + "."));
  }

  private static String limit(int value) {
    return value == -1 ? "none" : Integer.toString(value);
  }
}

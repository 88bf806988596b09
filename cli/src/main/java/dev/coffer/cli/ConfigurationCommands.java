package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coffer configuration ...}: configuration groups (Trove's), the same calls for every
 * engine; values are checked against the engine's parameter catalog by the server.
 */
@Command(
    name = "configuration",
    description = "Tune engines with configuration groups: create, attach, detach, inspect.")
final class ConfigurationCommands extends Cli.Group {
  private final Cli cli;

  ConfigurationCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "parameters", description = "List the tunable parameters of a datastore version.")
  void parameters(
      @Parameters(paramLabel = "DATASTORE") String datastore,
      @Option(names = "--version", paramLabel = "VERSION", description = "Default: the default.")
          String version) {
    ApiClient api = cli.trove();
    JsonNode body = api.get(parametersPath(api, datastore, version));
    cli.print(
        body,
        out -> {
          Table table = Table.of("name", "type", "min", "max", "unit", "restart", "description");
          for (JsonNode p : body.path("configuration-parameters")) {
            table.row(
                p.path("name").asText(),
                p.path("type").asText(),
                p.path("min").asText(""),
                p.path("max").asText(""),
                p.path("unit").asText(""),
                p.path("restart_required").asBoolean() ? "yes" : "no",
                p.path("description").asText("")
                    + (p.hasNonNull("default_from_flavor")
                        ? " (default: " + p.path("default_from_flavor").asText() + ")"
                        : ""));
          }
          table.print(out);
        });
  }

  @Command(
      name = "create",
      description = {"Create a group: --value NAME=VALUE for each parameter (see 'parameters')."})
  void create(
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--datastore", required = true, paramLabel = "DATASTORE") String datastore,
      @Option(names = "--version", paramLabel = "VERSION") String version,
      @Option(names = "--value", required = true, paramLabel = "NAME=VALUE") List<String> values,
      @Option(names = "--description", paramLabel = "TEXT") String description) {
    ApiClient api = cli.trove();
    ObjectNode group = cli.object().put("name", name);
    group.set("values", typedValues(api, parametersPath(api, datastore, version), values));
    ObjectNode store = group.putObject("datastore").put("type", datastore);
    if (version != null) {
      store.put("version", version);
    }
    if (description != null) {
      group.put("description", description);
    }
    JsonNode created = api.post("/configurations", cli.object().set("configuration", group));
    cli.print(created, out -> printGroup(out, created.path("configuration")));
  }

  @Command(name = "list", description = "List configuration groups.")
  void list() {
    JsonNode body = cli.trove().get("/configurations");
    cli.print(
        body,
        out -> {
          Table table = Table.of("id", "name", "datastore", "version", "updated");
          for (JsonNode g : body.path("configurations")) {
            table.row(
                g.path("id").asText(),
                g.path("name").asText(),
                g.path("datastore_name").asText(),
                g.path("datastore_version_name").asText(),
                g.path("updated").asText());
          }
          table.print(out);
        });
  }

  @Command(name = "show", description = "Show a group and its values.")
  void show(@Parameters(paramLabel = "ID|NAME") String group) {
    JsonNode found = find(cli.trove(), group);
    cli.print(cli.object().set("configuration", found), out -> printGroup(out, found));
  }

  @Command(
      name = "set",
      description = "Change values of a group (others are kept); attached instances get them.")
  void set(
      @Parameters(paramLabel = "ID|NAME") String group,
      @Option(names = "--value", required = true, paramLabel = "NAME=VALUE") List<String> values) {
    ApiClient api = cli.trove();
    JsonNode found = find(api, group);
    ObjectNode body = cli.object();
    body.set(
        "values",
        typedValues(
            api,
            "/datastores/versions/"
                + ApiClient.segment(found.path("datastore_version_id").asText())
                + "/parameters",
            values));
    api.patch(
        "/configurations/" + ApiClient.segment(found.path("id").asText()),
        cli.object().set("configuration", body));
    cli.done("Updated " + group + "; attached instances are being reconfigured.");
  }

  @Command(name = "delete", description = "Delete a group that no instance uses.")
  void delete(@Parameters(paramLabel = "ID|NAME") String group) {
    ApiClient api = cli.trove();
    api.delete("/configurations/" + ApiClient.segment(find(api, group).path("id").asText()));
    cli.done("Deleted configuration group " + group + ".");
  }

  @Command(name = "attach", description = "Attach a group to an instance.")
  void attach(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "GROUP") String group) {
    ApiClient api = cli.trove();
    String instanceId = InstanceCommands.find(api, instance).path("id").asText();
    String groupId = find(api, group).path("id").asText();
    api.put(
        "/instances/" + ApiClient.segment(instanceId),
        cli.object().set("instance", cli.object().put("configuration", groupId)));
    cli.done(
        "Attaching "
            + group
            + " to "
            + instance
            + "; 'coffer instance show "
            + instance
            + "' says RESTART_REQUIRED if some values need a restart.");
  }

  @Command(name = "detach", description = "Detach the group of an instance: back to defaults.")
  void detach(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    String instanceId = InstanceCommands.find(api, instance).path("id").asText();
    ObjectNode body = cli.object();
    body.putObject("instance").putNull("configuration");
    api.put("/instances/" + ApiClient.segment(instanceId), body);
    cli.done("Detaching the configuration group of " + instance + ".");
  }

  @Command(name = "instances", description = "List the instances a group is attached to.")
  void instances(@Parameters(paramLabel = "ID|NAME") String group) {
    ApiClient api = cli.trove();
    JsonNode body =
        api.get(
            "/configurations/"
                + ApiClient.segment(find(api, group).path("id").asText())
                + "/instances");
    cli.print(
        body,
        out -> {
          Table table = Table.of("id", "name");
          body.path("instances")
              .forEach(i -> table.row(i.path("id").asText(), i.path("name").asText()));
          table.print(out);
        });
  }

  @Command(name = "values", description = "The values the instance's engine reports now.")
  void values(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    String instanceId = InstanceCommands.find(api, instance).path("id").asText();
    JsonNode body = api.get("/instances/" + ApiClient.segment(instanceId) + "/configuration");
    cli.print(
        body,
        out -> {
          Table table = Table.of("name", "value");
          body.path("instance")
              .path("configuration")
              .properties()
              .forEach(e -> table.row(e.getKey(), e.getValue().asText()));
          table.print(out);
        });
  }

  static JsonNode find(ApiClient api, String idOrName) {
    return Lookup.byIdOrName(api, "configuration", idOrName);
  }

  /** The catalog of the version, or of the datastore's default version. */
  private static String parametersPath(ApiClient api, String datastore, String version) {
    if (version == null) {
      String id =
          api.get("/datastores/" + ApiClient.segment(datastore))
              .path("datastore")
              .path("default_version")
              .asText();
      return "/datastores/versions/" + ApiClient.segment(id) + "/parameters";
    }
    return "/datastores/"
        + ApiClient.segment(datastore)
        + "/versions/"
        + ApiClient.segment(version)
        + "/parameters";
  }

  /** NAME=VALUE pairs typed by the catalog, so that 200 is a number and ON a boolean where so. */
  private ObjectNode typedValues(ApiClient api, String parametersPath, List<String> pairs) {
    Map<String, String> types = new HashMap<>();
    try {
      for (JsonNode p : api.get(parametersPath).path("configuration-parameters")) {
        types.put(p.path("name").asText(), p.path("type").asText());
      }
    } catch (ApiException e) {
      // no catalog: the server will say what is wrong with each value
    }
    ObjectNode values = cli.object();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw usage("--value takes NAME=VALUE, for example --value max_connections=200");
      }
      String name = pair.substring(0, eq);
      String value = pair.substring(eq + 1);
      String type = types.getOrDefault(name, "string");
      try {
        switch (type) {
          case "integer" -> values.put(name, Long.parseLong(value));
          case "float" -> values.put(name, Double.parseDouble(value));
          case "boolean" ->
              values.put(
                  name,
                  switch (value.toLowerCase(java.util.Locale.ROOT)) {
                    case "true", "on", "yes", "1" -> true;
                    case "false", "off", "no", "0" -> false;
                    default -> throw usage(name + " takes true or false");
                  });
          default -> values.put(name, value);
        }
      } catch (NumberFormatException e) {
        throw usage(name + " takes a number (" + type + ")");
      }
    }
    return values;
  }

  private static void printGroup(java.io.PrintStream out, JsonNode g) {
    Table.fields()
        .field("id", g.path("id").asText(""))
        .field("name", g.path("name").asText(""))
        .field("description", g.path("description").asText(""))
        .field(
            "datastore",
            g.path("datastore_name").asText("") + " " + g.path("datastore_version_name").asText(""))
        .field("instances", g.path("instance_count").asText(""))
        .field("updated", g.path("updated").asText(""))
        .print(out);
    if (g.has("values")) {
      out.println();
      Table table = Table.of("parameter", "value");
      g.path("values").properties().forEach(e -> table.row(e.getKey(), e.getValue().asText()));
      table.print(out);
    }
  }
}

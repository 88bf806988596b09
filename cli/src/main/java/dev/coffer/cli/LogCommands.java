package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coffer log ...}: an instance's guest logs (Trove's {@code /instances/{id}/log}), and
 * {@code tail}, which reads a log from the instance itself (Coffer's native call; {@code openstack
 * database log tail} reads Swift, which Coffer does not have).
 */
@Command(
    name = "log",
    description = "List, switch, publish, discard and read the guest logs of an instance.")
final class LogCommands extends Cli.Group {
  private final Cli cli;

  LogCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "list", description = "List the instance's logs and their status.")
  void list(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    JsonNode body = api.get(base(api, instance));
    cli.print(
        body,
        out -> {
          Table table = Table.of("name", "type", "status", "published", "pending");
          body.path("logs")
              .forEach(
                  l ->
                      table.row(
                          l.path("name").asText(),
                          l.path("type").asText(),
                          l.path("status").asText(),
                          l.path("published").asLong(),
                          l.path("pending").asLong()));
          table.print(out);
        });
  }

  @Command(name = "show", description = "Show one log.")
  void show(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name) {
    act(instance, name, null);
  }

  @Command(name = "enable", description = "Turn a USER log (general, slow_query) on.")
  void enable(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name) {
    act(instance, name, "enable");
  }

  @Command(name = "disable", description = "Turn a USER log off.")
  void disable(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name) {
    act(instance, name, "disable");
  }

  @Command(
      name = "publish",
      description = "Copy what the log gained since the last publish to the backup store.")
  void publish(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(names = "--discard", description = "Discard what was published before.")
          boolean discard) {
    act(instance, name, discard ? "discard,publish" : "publish");
  }

  @Command(name = "discard", description = "Delete what was published of the log.")
  void discard(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name) {
    act(instance, name, "discard");
  }

  @Command(name = "tail", description = "Print the last lines of a log, read from the instance.")
  void tail(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Parameters(paramLabel = "NAME") String name,
      @Option(
              names = {"-n", "--lines"},
              paramLabel = "N",
              defaultValue = "50",
              description = "How many lines (1-1000, default ${DEFAULT-VALUE}).")
          int lines) {
    ApiClient api = cli.trove();
    JsonNode body =
        api.get(base(api, instance) + "/" + ApiClient.segment(name) + "?lines=" + lines);
    cli.print(body, out -> body.at("/log/lines").forEach(l -> out.println(l.asText())));
  }

  private void act(String instance, String name, String flags) {
    ApiClient api = cli.trove();
    ObjectNode request = cli.object().put("name", name);
    if (flags != null) {
      for (String flag : flags.split(",")) {
        request.put(flag, 1);
      }
    }
    JsonNode body = api.post(base(api, instance), request);
    JsonNode log = body.path("log");
    cli.print(
        body,
        out ->
            Table.fields()
                .field("name", log.path("name").asText())
                .field("type", log.path("type").asText())
                .field("status", log.path("status").asText())
                .field("published", log.path("published").asLong())
                .field("pending", log.path("pending").asLong())
                .field("container", log.path("container").asText())
                .field("prefix", log.path("prefix").asText())
                .field("metafile", log.path("metafile").asText())
                .print(out));
  }

  private static String base(ApiClient api, String instance) {
    String id = InstanceCommands.find(api, instance).path("id").asText();
    return "/instances/" + ApiClient.segment(id) + "/log";
  }
}

package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer root ...}: the engine's superuser account of an instance. */
@Command(name = "root", description = "Enable, check or disable the root user of an instance.")
final class RootCommands extends Cli.Group {
  private final Cli cli;

  RootCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "enable",
      description = "Enable root and print its name and password (shown only this once).")
  void enable(
      @Parameters(paramLabel = "INSTANCE") String instance,
      @Option(
              names = "--password",
              paramLabel = "PASSWORD",
              description = "Password to set (default: generated).")
          String password) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, instance).path("id").asText();
    JsonNode body =
        api.post(
            "/instances/" + ApiClient.segment(id) + "/root",
            password == null ? null : cli.object().put("password", password));
    cli.print(
        body,
        out -> {
          Table.fields()
              .field("name", body.path("user").path("name").asText())
              .field("password", body.path("user").path("password").asText())
              .print(out);
          out.println("Keep the password safe: it is shown only this once.");
        });
  }

  @Command(name = "show", description = "Tell whether root has ever been enabled.")
  void show(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, instance).path("id").asText();
    JsonNode body = api.get("/instances/" + ApiClient.segment(id) + "/root");
    cli.print(
        body,
        out ->
            Table.fields()
                .field("root_enabled", body.path("rootEnabled").asBoolean() ? "yes" : "no")
                .print(out));
  }

  @Command(name = "disable", description = "Disable root.")
  void disable(@Parameters(paramLabel = "INSTANCE") String instance) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, instance).path("id").asText();
    api.delete("/instances/" + ApiClient.segment(id) + "/root");
    cli.done("Root disabled on " + instance + ".");
  }
}

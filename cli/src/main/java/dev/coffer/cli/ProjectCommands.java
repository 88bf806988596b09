package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code coffer project ...}: projects (tenants); creating one needs the admin role. */
@Command(name = "project", description = "List projects or create one (admin).")
final class ProjectCommands extends Cli.Group {
  private final Cli cli;

  ProjectCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(name = "list", description = "List the projects you belong to and your role in each.")
  void list() {
    JsonNode body = cli.identity().get("/projects");
    cli.print(
        body,
        out -> {
          Table table = Table.of("id", "name", "role");
          for (JsonNode project : body.path("projects")) {
            table.row(
                project.path("id").asText(),
                project.path("name").asText(),
                project.path("role").asText(""));
          }
          table.print(out);
        });
  }

  @Command(name = "create", description = "Create a project (admin).")
  void create(@Parameters(paramLabel = "NAME") String name) {
    JsonNode body =
        cli.identity()
            .post("/projects", cli.object().set("project", cli.object().put("name", name)));
    cli.print(
        body,
        out ->
            Table.fields()
                .field("id", body.path("project").path("id").asText())
                .field("name", body.path("project").path("name").asText())
                .print(out));
  }
}

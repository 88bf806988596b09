package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/**
 * {@code coffer alerts}: the built-in alerts firing now (Coffer's native {@code GET
 * /coffer/v1/alerts}); an admin sees every project's.
 */
@Command(name = "alerts", description = "List the alerts firing now (volume, lag, backup, status).")
final class AlertCommand implements Runnable {
  private final Cli cli;

  AlertCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public void run() {
    JsonNode body = cli.identity().get("/alerts");
    cli.print(
        body,
        out -> {
          if (body.path("alerts").isEmpty()) {
            out.println("No alerts.");
            return;
          }
          Table table = Table.of("instance", "kind", "since", "message");
          body.path("alerts")
              .forEach(
                  a ->
                      table.row(
                          a.path("instance_id").asText(),
                          a.path("kind").asText(),
                          a.path("started").asText(),
                          a.path("message").asText()));
          table.print(out);
        });
  }
}

package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer capacity}: the project's storage, each instance's growth and days until full, and
 * the storage needed in 30 and 90 days (Coffer's native {@code GET /coffer/v1/capacity}).
 */
@Command(
    name = "capacity",
    description = "Show the project's storage use, growth and the storage needed in 30/90 days.")
final class CapacityCommand implements Runnable {
  private final Cli cli;

  @Option(
      names = "--of-project",
      paramLabel = "PROJECT_ID",
      description = "Another project's capacity (admin).")
  String ofProject;

  CapacityCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public void run() {
    String query = ofProject == null ? "" : "?project_id=" + ApiClient.segment(ofProject);
    JsonNode body = cli.identity().get("/capacity" + query);
    JsonNode c = body.path("capacity");
    cli.print(
        body,
        out -> {
          Table table = Table.of("id", "name", "size", "used", "used %", "growth/day", "full in");
          c.path("instances")
              .forEach(
                  i ->
                      table.row(
                          i.path("instance_id").asText(),
                          i.path("name").asText(),
                          bytes(i.path("volume_size_bytes").asLong()),
                          bytes(i.path("volume_used_bytes").asLong()),
                          i.path("used_percent").asText(),
                          growth(i),
                          days(i)));
          table.print(out);
          out.println();
          Table.fields()
              .field("project", c.path("project_id").asText())
              .field("volumes", bytes(c.path("volume_size_bytes").asLong()))
              .field("used", bytes(c.path("volume_used_bytes").asLong()))
              .field("needed in 30 days", bytes(c.path("storage_needed_30d_bytes").asLong()))
              .field("needed in 90 days", bytes(c.path("storage_needed_90d_bytes").asLong()))
              .print(out);
        });
  }

  /** Bytes for people: B, KiB, MiB, GiB or TiB with one decimal. */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = n;
    int unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  static String growth(JsonNode forecast) {
    JsonNode growth = forecast.path("growth_bytes_per_day");
    return growth.isNumber() ? bytes(growth.asLong()) : "unknown";
  }

  static String days(JsonNode forecast) {
    JsonNode days = forecast.path("days_until_full");
    return days.isNumber() ? days.asText() + " days" : "not growing";
  }
}

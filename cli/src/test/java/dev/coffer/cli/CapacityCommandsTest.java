package dev.coffer.cli;

import static dev.coffer.cli.Bodies.ID;
import static dev.coffer.cli.Bodies.P;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code coffer instance capacity} and {@code coffer capacity} show the server's forecasts; {@code
 * coffer alerts} the alerts firing.
 */
class CapacityCommandsTest {
  @TempDir Path home;
  private FakeServer server;
  private CliRunner cli;

  static final String FORECAST =
      """
      {"instance_id":"%s","name":"db1","volume_size_bytes":1073741824,
       "volume_used_bytes":536870912,"used_percent":50.0,"samples":12,
       "growth_bytes_per_day":10485760,"days_until_full":51.2,
       "projected_used_30d_bytes":851443712,"projected_used_90d_bytes":1480589312}
      """
          .formatted(ID);

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    cli = CliRunner.loggedIn(home.resolve("config.json"), server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void instanceCapacityShowsGrowthAndDaysUntilFull() {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("GET", P + "/instances/" + ID + "/capacity", 200, "{\"capacity\":" + FORECAST + "}");

    CliRunner.Result result = cli.run("instance", "capacity", ID);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).contains("512.0 MiB", "1.0 GiB", "10.0 MiB", "51.2 days", "1.4 GiB");
  }

  @Test
  void projectCapacityShowsTheStorageNeededIn30And90Days() {
    server.on(
        "GET",
        "/coffer/v1/capacity",
        200,
        """
        {"capacity":{"project_id":"p1","volume_size_bytes":1073741824,
         "volume_used_bytes":536870912,"storage_needed_30d_bytes":851443712,
         "storage_needed_90d_bytes":1480589312,"instances":[%s]}}
        """
            .formatted(FORECAST));

    CliRunner.Result result = cli.run("capacity");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out())
        .contains(ID, "db1", "51.2 days", "needed in 30 days", "812.0 MiB", "1.4 GiB");
    assertThat(server.calls()).containsExactly("GET /coffer/v1/capacity");
  }

  @Test
  void alertsListsTheAlertsFiringNow() {
    server.on(
        "GET",
        "/coffer/v1/alerts",
        200,
        """
        {"alerts":[{"instance_id":"%s","project_id":"p1","kind":"volume_full",
         "event":"alert.volume_full","message":"Volume 91.00 %% used (threshold 90 %%).",
         "started":"2026-11-26T03:00:00Z"}]}
        """
            .formatted(ID));

    CliRunner.Result result = cli.run("alerts");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).contains(ID, "volume_full", "Volume 91.00 % used");
  }
}

package dev.coffer.server.backups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stopping the control plane while a backup runs is not the backup's failure: the task is left for
 * the next start, which picks up the agent's answer and completes the backup.
 */
class BackupAcrossRestartTest {
  private static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer =
        TestCoffer.start(
            Map.of("COFFER_ADDRESS_POOL", "127.120", "COFFER_LOG_FILE", "log/server.log"));
  }

  @AfterAll
  static void stop() {
    if (coffer != null) {
      coffer.close();
    }
  }

  @Test
  void aBackupRunningWhileTheControlPlaneRestartsCompletes() throws Exception {
    JsonNode shop = coffer.createShop("shop", "mariadb", "2", "");
    String instance = shop.path("id").asText();
    // About 130 MB, so that the backup is still streaming when the control plane stops.
    try (Connection c =
            DriverManager.getConnection(
                TestCoffer.jdbcUrl("mariadb", shop, "shop"), "app", TestCoffer.APP_PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE filler (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(1000))");
      // MariaDB's sequence engine: no temporary table needed.
      s.execute("INSERT INTO filler (pad) SELECT REPEAT(UUID(), 27) FROM seq_1_to_130000");
    }
    var started =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"across-restart\",\"instance\":\"" + instance + "\"}}");
    assertThat(started.status()).as(started.raw()).isEqualTo(202);
    String backup = started.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + backup))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .equals("BUILDING"));

    coffer = coffer.restart();

    JsonNode done =
        await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> coffer.get(coffer.v1("/backups/" + backup)).body().path("backup"),
                b -> !b.path("status").asText().matches("NEW|BUILDING"));
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    // The stop interrupted the task's wait; it was left for the next start, not failed.
    String log = Files.readString(coffer.home.resolve("log").resolve("server.log"));
    assertThat(log)
        .contains("event=task_interrupted_by_shutdown")
        .doesNotContainPattern("event=task_failed[^\\n]*type=BACKUP_INSTANCE");
  }
}

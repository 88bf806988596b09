package dev.coffer.server.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** PostgreSQL: the three logs are views of the logging collector's one file. */
class PostgresGuestLogTest extends GuestLogScenario {
  @Override
  String datastore() {
    return "postgresql";
  }

  @Override
  Map.Entry<String, String> systemLog() {
    return Map.entry("server", "database system is ready to accept connections");
  }

  @Override
  String initialObjects() {
    return "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],";
  }

  @Override
  void runSlowQuery(JsonNode instance, double seconds, String marker) throws Exception {
    execute(instance, "SELECT pg_sleep(" + seconds + ")");
  }

  @Override
  void runQuery(JsonNode instance, String marker) throws Exception {
    execute(instance, "SELECT '" + marker + "'");
  }

  /**
   * The logging collector writes asynchronously: an error logged after the statements shows when
   * everything before it reached the file.
   */
  @Override
  void flushLog(JsonNode instance, String id) throws Exception {
    String marker = "flush-" + UUID.randomUUID();
    try {
      execute(instance, "SELECT 1/0 AS \"" + marker + "\"");
    } catch (SQLException expected) {
      // division by zero: logged with its statement
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> assertThat(String.join("\n", tail(id, "server", 200))).contains(marker));
  }

  private static void execute(JsonNode instance, String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://" + host(instance) + ":" + port(instance) + "/ledger",
                "app",
                "Secret-1");
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}

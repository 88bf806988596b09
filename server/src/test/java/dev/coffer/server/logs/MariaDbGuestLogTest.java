package dev.coffer.server.logs;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;

/** MariaDB: general and slow query logs of their own, and the error log. */
class MariaDbGuestLogTest extends GuestLogScenario {
  @Override
  String datastore() {
    return "mariadb";
  }

  @Override
  Map.Entry<String, String> systemLog() {
    return Map.entry("error", "ready for connections");
  }

  @Override
  String initialObjects() {
    return "\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\"}],";
  }

  @Override
  void runSlowQuery(JsonNode instance, double seconds, String marker) throws Exception {
    execute(instance, "SELECT SLEEP(" + seconds + ")");
  }

  @Override
  void runQuery(JsonNode instance, String marker) throws Exception {
    execute(instance, "SELECT '" + marker + "'");
  }

  private static void execute(JsonNode instance, String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://" + host(instance) + ":" + port(instance) + "/",
                "app",
                "Secret-1");
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}

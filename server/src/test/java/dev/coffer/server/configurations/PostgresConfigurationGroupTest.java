package dev.coffer.server.configurations;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;

/** PostgreSQL: an included file and a reload; pending_restart tells what waits for a restart. */
class PostgresConfigurationGroupTest extends ConfigurationGroupScenario {
  @Override
  String datastore() {
    return "postgresql";
  }

  @Override
  String addressPool() {
    return "127.90";
  }

  @Override
  String initialObjects() {
    return "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],";
  }

  @Override
  Map.Entry<String, Object> dynamicParameter() {
    return Map.entry("work_mem", 8192L);
  }

  @Override
  Map.Entry<String, Object> restartParameter() {
    return Map.entry("max_connections", 120L);
  }

  /** pg_settings as the tenant, in the catalog's unit (kB for work_mem). */
  @Override
  String engineValue(JsonNode instance, String parameter) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://" + host(instance) + ":" + port(instance) + "/ledger",
                "app",
                "Secret-1");
        PreparedStatement s =
            c.prepareStatement("SELECT setting FROM pg_settings WHERE name = ?")) {
      s.setString(1, parameter);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}

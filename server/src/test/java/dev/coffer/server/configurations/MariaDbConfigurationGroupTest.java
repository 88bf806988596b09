package dev.coffer.server.configurations;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

/** MariaDB: SET GLOBAL for dynamic parameters, my.cnf for the rest. */
class MariaDbConfigurationGroupTest extends ConfigurationGroupScenario {
  @Override
  String datastore() {
    return "mariadb";
  }

  @Override
  String addressPool() {
    return "127.87";
  }

  @Override
  String initialObjects() {
    return "\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\"}],";
  }

  @Override
  Map.Entry<String, Object> dynamicParameter() {
    return Map.entry("max_connections", 151L);
  }

  @Override
  Map.Entry<String, Object> restartParameter() {
    return Map.entry("innodb_log_buffer_size", 33554432L);
  }

  @Override
  String engineValue(JsonNode instance, String parameter) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://" + host(instance) + ":" + port(instance) + "/",
                "app",
                "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW GLOBAL VARIABLES LIKE '" + parameter + "'")) {
      return rs.next() ? rs.getString(2) : null;
    }
  }
}

package dev.coffer.server.configurations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

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

  /**
   * A group the catalog accepts but the server refuses (a collation of another character set):
   * nothing changes on the instance, which stays ACTIVE with a fault naming the parameter, and the
   * group is not attached.
   */
  @Test
  void aGroupTheEngineRefusesLeavesTheInstanceActiveUnchangedWithAFault() throws Exception {
    String id = create();
    JsonNode instance = awaitStatus(id, "ACTIVE");
    String before = engineValue(instance, "collation_server");
    var created =
        coffer.post(
            coffer.v1("/configurations"),
            group(
                "mismatched",
                Map.of(
                    "max_connections", 77L,
                    "character_set_server", "latin1",
                    "collation_server", "utf8mb4_bin")));
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String groupId = created.body().at("/configuration/id").asText();
    var attached =
        coffer.put(
            coffer.v1("/instances/" + id),
            "{\"instance\":{\"configuration\":\"" + groupId + "\"}}");
    assertThat(attached.status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        coffer
                            .get(coffer.v1("/instances/" + id))
                            .body()
                            .at("/instance/fault/message")
                            .asText())
                    .contains("collation_server"));
    JsonNode after = coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
    assertThat(after.path("status").asText()).isEqualTo("ACTIVE");
    assertThat(after.has("configuration")).isFalse();
    assertThat(engineValue(instance, "collation_server")).isEqualTo(before);
    assertThat(engineValue(instance, "max_connections")).isNotEqualTo("77");
  }
}

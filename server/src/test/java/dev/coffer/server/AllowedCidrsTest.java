package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trove's {@code access.allowed_cidrs}, enforced by the local driver: a client whose source address
 * is outside the listed networks cannot connect (the real MariaDB driver, bound to a chosen
 * loopback source address); the host itself always can (the agent needs it); an update takes effect
 * at once, and nothing remains after the instance is deleted.
 */
class AllowedCidrsTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.96"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void onlyClientsFromTheAllowedNetworksConnectAndUpdatesApplyAtOnce() throws Exception {
    var bad =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"walled\",\"flavorRef\":\"1\",\"datastore\":{\"type\":\"mariadb\"},"
                + "\"access\":{\"allowed_cidrs\":[\"10.0.0.0/8\",\"300.1.1.1/32\"]}}}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.raw()).contains("allowed_cidrs").contains("[1]");

    JsonNode instance =
        coffer.createShop(
            "walled", "mariadb", "1", "\"access\":{\"allowed_cidrs\":[\"127.0.0.8/30\"]},");
    String id = instance.path("id").asText();
    assertThat(instance.at("/access/allowed_cidrs/0").asText()).isEqualTo("127.0.0.8/30");

    assertThat(query(instance, "127.0.0.9")).isEqualTo(1);
    assertThat(query(instance, "127.0.0.1")).as("the host itself").isEqualTo(1);
    assertRefused(instance, "127.0.0.20");

    var widened =
        coffer.put(
            coffer.v1("/instances/" + id),
            "{\"instance\":{\"access\":{\"is_public\":false,\"allowed_cidrs\":[\"127.0.0.16/28\"]}}}");
    assertThat(widened.status()).as(widened.raw()).isEqualTo(202);
    assertThat(query(instance, "127.0.0.20")).isEqualTo(1);
    assertRefused(instance, "127.0.0.9");

    var open =
        coffer.put(
            coffer.v1("/instances/" + id), "{\"instance\":{\"access\":{\"allowed_cidrs\":[]}}}");
    assertThat(open.status()).isEqualTo(202);
    assertThat(query(instance, "127.0.0.9")).isEqualTo(1);

    coffer.put(
        coffer.v1("/instances/" + id),
        "{\"instance\":{\"access\":{\"allowed_cidrs\":[\"127.0.0.8/30\"]}}}");
    assertRefused(instance, "127.0.0.20");
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    await().atMost(Duration.ofMinutes(2)).until(() -> coffer.status(id).isEmpty());
    assertThat(nftTables()).doesNotContain("coffer_" + id.replace("-", ""));
  }

  private static int query(JsonNode instance, String source) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(instance, source), "app", "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static void assertRefused(JsonNode instance, String source) {
    assertThatThrownBy(() -> query(instance, source))
        .as("a client from " + source)
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("onnect");
  }

  private static String url(JsonNode instance, String source) {
    return TestCoffer.jdbcUrl("mariadb", instance, "shop")
        + "?localSocketAddress="
        + source
        + "&connectTimeout=3000";
  }

  private static String nftTables() throws Exception {
    Process p = new ProcessBuilder("nft", "list", "tables").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}

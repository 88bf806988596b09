package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trove's volume resize: the volume grows online (the file system the engine writes to is larger),
 * every row stays, the instance shows RESIZE meanwhile; shrinking or exceeding the limit is refused
 * with Trove's messages before anything changes.
 */
class VolumeResizeTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.91"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void aVolumeGrowsOnlineKeepsEveryRowAndNeverShrinks() throws Exception {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"growing\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"databases\":[{\"name\":\"shop\"}],\"users\":[{\"name\":\"app\","
                + "\"password\":\"Secret-1\",\"databases\":[{\"name\":\"shop\"}]}],"
                + "\"datastore\":{\"type\":\"mariadb\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    JsonNode instance = awaitActive(id);
    String url =
        "jdbc:mariadb://"
            + instance.at("/endpoint/host").asText()
            + ":"
            + instance.at("/endpoint/port").asInt()
            + "/shop";
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key)");
      s.execute("insert into t values (1), (2), (3)");
    }
    Path data = coffer.home.resolve("instances").resolve(id).resolve("data");
    long before = Files.getFileStore(data).getTotalSpace();

    var shrink = action(id, "{\"resize\":{\"volume\":{\"size\":1}}}");
    assertThat(shrink.status()).isEqualTo(400);
    assertThat(shrink.raw())
        .contains("The new volume 'size' must be larger than the current volume size of '1'.");
    assertThat(action(id, "{\"resize\":{\"volume\":{\"size\":100000}}}").status()).isEqualTo(413);

    var grow = action(id, "{\"resize\":{\"volume\":{\"size\":2}}}");
    assertThat(grow.status()).as(grow.raw()).isEqualTo(202);
    assertThat(coffer.status(id)).hasValueSatisfying(s -> assertThat(s).isIn("RESIZE", "ACTIVE"));
    JsonNode resized = awaitActive(id);
    assertThat(resized.at("/volume/size").asInt()).isEqualTo(2);
    assertThat(resized.has("fault")).isFalse();
    if (coffer.coffer.compute() instanceof dev.coffer.server.compute.local.LocalComputeDriver local
        && local.usesLoopVolumes()) {
      assertThat(Files.getFileStore(data).getTotalSpace())
          .as("the file system the engine writes to grew")
          .isGreaterThan(before + (512L << 20));
    }
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from t")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(3);
    }
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
  }

  static TestCoffer.Response action(String id, String body) {
    return coffer.post(coffer.v1("/instances/" + id + "/action"), body);
  }

  static JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }
}

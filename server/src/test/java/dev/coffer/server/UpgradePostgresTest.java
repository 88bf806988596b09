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
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An upgrade within a PostgreSQL major ("15" to "15-patched", the same binaries): the data needs no
 * pg_upgrade, the instance comes back ACTIVE on the new version with every row, after a backup. (A
 * major upgrade needs two installed majors; see PostgresUpgradeTest in the agent.)
 */
class UpgradePostgresTest {
  static TestCoffer coffer;
  static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void anUpgradeWithinAMajorKeepsEveryRowWithoutPgUpgrade() throws Exception {
    Map<String, String> binaries = new TreeMap<>();
    for (String tool :
        new String[] {
          "postgres",
          "initdb",
          "pg_ctl",
          "pg_basebackup",
          "pg_waldump",
          "pg_rewind",
          "psql",
          "pg_upgrade"
        }) {
      binaries.put(tool.equals("postgres") ? "server" : tool, BIN.resolve(tool).toString());
    }
    var registered =
        coffer.post(
            "/coffer/v1/datastores/postgresql/versions",
            coffer.json(Map.of("version", Map.of("name", "15-patched", "binaries", binaries))));
    assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"ledger\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\","
                + "\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],"
                + "\"datastore\":{\"type\":\"postgresql\",\"version\":\"15\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    JsonNode instance = awaitActive(id);
    String url =
        "jdbc:postgresql://"
            + instance.at("/endpoint/host").asText()
            + ":"
            + instance.at("/endpoint/port").asInt()
            + "/ledger";
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key)");
      s.execute("insert into t values (1), (2)");
    }

    var upgrade =
        coffer.patch(
            coffer.v1("/instances/" + id), "{\"instance\":{\"datastore_version\":\"15-patched\"}}");
    assertThat(upgrade.status()).as(upgrade.raw()).isEqualTo(202);
    assertThat(coffer.status(id)).hasValue("UPGRADE");
    JsonNode upgraded = awaitActive(id);
    assertThat(upgraded.at("/datastore/version").asText()).isEqualTo("15-patched");
    assertThat(upgraded.has("fault")).as(upgraded.toString()).isFalse();
    JsonNode backups = coffer.get(coffer.v1("/backups?instance_id=" + id)).body().path("backups");
    assertThat(backups.findValuesAsText("name")).contains("pre-upgrade 15→15-patched");
    Path data = coffer.home.resolve("instances").resolve(id).resolve("data");
    assertThat(Files.readString(data.resolve(".coffer-version.json"))).contains("\"15-patched\"");
    assertThat(data.resolve(".coffer-upgrade")).as("no pg_upgrade within a major").doesNotExist();
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from t")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(2);
    }
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
  }

  static JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }
}

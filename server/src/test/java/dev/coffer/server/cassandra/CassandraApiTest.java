package dev.coffer.server.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cassandra through the same API as every engine, with the DataStax Java driver as the created
 * user: a single instance backed up and restored into a new one with every row, and a ring of three
 * created through Trove's cluster API whose QUORUM writes survive a killed node and whose rows stay
 * through a grow to four and a shrink back to three.
 */
class CassandraApiTest {
  private static final int ROWS = 200;
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.98"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void aBackupRestoresIntoANewInstanceWithEveryRow() throws Exception {
    JsonNode source = coffer.createShop("cass", "cassandra", "3", "");
    try (CqlSession app = connect(source)) {
      app.execute("CREATE TABLE shop.items (id int PRIMARY KEY, name text)");
      for (int i = 0; i < ROWS; i++) {
        app.execute("INSERT INTO shop.items (id, name) VALUES (" + i + ", 'item " + i + "')");
      }
    }
    var backup =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"cass-full\",\"instance\":\""
                + source.path("id").asText()
                + "\"}}");
    assertThat(backup.status()).as(backup.raw()).isEqualTo(202);
    String backupId = backup.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + backupId))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .equals("COMPLETED"));
    var restored =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"cass-copy\",\"flavorRef\":\"3\",\"volume\":{\"size\":1},"
                + "\"restorePoint\":{\"backupRef\":\""
                + backupId
                + "\"}}}");
    assertThat(restored.status()).as(restored.raw()).isEqualTo(200);
    JsonNode copy = coffer.awaitStatus(restored.body().at("/instance/id").asText(), "ACTIVE");
    try (CqlSession app = connect(copy)) {
      assertThat(count(app, "shop.items", ConsistencyLevel.ONE)).isEqualTo(ROWS);
    }
  }

  @Test
  void aRingOfThreeKeepsQuorumWritesThroughALostNodeAGrowAndAShrink() throws Exception {
    var created = coffer.post(coffer.v1("/clusters"), ringBody("ring", 3));
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/cluster/id").asText();
    List<String> members = ids(awaitIdle(id, 3));
    String first = members.get(0);
    assertThat(
            coffer
                .post(
                    coffer.v1("/instances/" + first + "/databases"),
                    "{\"databases\":[{\"name\":\"orders\"}]}")
                .status())
        .isEqualTo(202);
    var user =
        coffer.post(
            coffer.v1("/instances/" + first + "/users"),
            "{\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\","
                + "\"databases\":[{\"name\":\"orders\"}]}]}");
    assertThat(user.status()).as(user.raw()).isEqualTo(202);

    try (CqlSession app = connect(member(first))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(
              () ->
                  app.execute(
                          "SELECT replication FROM system_schema.keyspaces"
                              + " WHERE keyspace_name = 'orders'")
                      .one()
                      .getMap(0, String.class, String.class)
                      .get("replication_factor")
                      .equals("3"));
      app.execute("CREATE TABLE IF NOT EXISTS orders.lines (id int PRIMARY KEY, item text)");
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                for (int i = 0; i < 9; i++) {
                  count(app, "orders.lines", ConsistencyLevel.QUORUM);
                }
              });
      for (int i = 0; i < ROWS; i++) {
        app.execute(quorum("INSERT INTO orders.lines (id, item) VALUES (" + i + ", 'x')"));
      }
    }

    // Grow to four: the new node bootstraps its ranges and serves every row.
    var grow =
        coffer.post(
            coffer.v1("/clusters/" + id),
            "{\"grow\":[{\"flavorRef\":\"3\",\"volume\":{\"size\":1}}]}");
    assertThat(grow.status()).as(grow.raw()).isEqualTo(202);
    List<String> grown = ids(awaitIdle(id, 4));
    String added = grown.stream().filter(m -> !members.contains(m)).findFirst().orElseThrow();
    try (CqlSession app = connect(member(added))) {
      assertThat(count(app, "orders.lines", ConsistencyLevel.QUORUM)).isEqualTo(ROWS);
    }

    // Shrink back to three: the leaving node streams its ranges away first.
    var shrink =
        coffer.post(coffer.v1("/clusters/" + id), "{\"shrink\":[{\"id\":\"" + added + "\"}]}");
    assertThat(shrink.status()).as(shrink.raw()).isEqualTo(202);
    assertThat(ids(awaitIdle(id, 3))).containsExactlyElementsOf(members);
    try (CqlSession app = connect(member(first))) {
      assertThat(count(app, "orders.lines", ConsistencyLevel.QUORUM)).isEqualTo(ROWS);
    }

    // One node of three dies: QUORUM writes and reads go on.
    String lost = members.get(2);
    String dir = coffer.home.resolve("instances").resolve(lost).toString();
    boolean killed = false;
    for (long pid : TestCoffer.processesMentioning(dir)) {
      String command =
          java.nio.file.Files.readString(
              java.nio.file.Path.of("/proc", Long.toString(pid), "cmdline"));
      if (command.contains("CassandraDaemon")) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        killed = true;
      }
    }
    assertThat(killed).isTrue();
    try (CqlSession app = connect(member(first))) {
      await()
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                app.execute(
                    quorum("INSERT INTO orders.lines (id, item) VALUES (" + ROWS + ", 'y')"));
                assertThat(count(app, "orders.lines", ConsistencyLevel.QUORUM)).isEqualTo(ROWS + 1);
              });
    }
    assertThat(coffer.delete(coffer.v1("/clusters/" + id)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> coffer.get(coffer.v1("/clusters/" + id)).status() == 404);
  }

  private static String ringBody(String name, int count) {
    StringBuilder nodes = new StringBuilder();
    for (int i = 0; i < count; i++) {
      nodes.append(i == 0 ? "" : ",").append("{\"flavorRef\":\"3\",\"volume\":{\"size\":\"1\"}}");
    }
    return "{\"cluster\":{\"name\":\""
        + name
        + "\",\"datastore\":{\"type\":\"cassandra\"},\"instances\":["
        + nodes
        + "]}}";
  }

  private static JsonNode awaitIdle(String id, int size) {
    return await()
        .atMost(Duration.ofMinutes(8))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> coffer.get(coffer.v1("/clusters/" + id)).body().path("cluster"),
            c -> {
              assertThat(c.path("fault").isMissingNode())
                  .as("cluster fault: %s", c.path("fault"))
                  .isTrue();
              for (JsonNode member : c.path("instances")) {
                if (member.path("status").asText().equals("ERROR")) {
                  throw new AssertionError(
                      "member "
                          + member.path("name").asText()
                          + " in ERROR: "
                          + coffer
                              .get(coffer.v1("/instances/" + member.path("id").asText()))
                              .body()
                              .at("/instance/fault"));
                }
              }
              return c.at("/task/name").asText().equals("NONE")
                  && c.path("instances").size() == size
                  && c.path("status").asText().equals("ACTIVE");
            });
  }

  private static List<String> ids(JsonNode cluster) {
    List<String> ids = new java.util.ArrayList<>();
    cluster.path("instances").forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }

  private static JsonNode member(String id) {
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  private static CqlSession connect(JsonNode instance) {
    return CqlSession.builder()
        .addContactPoint(
            new InetSocketAddress(
                instance.at("/endpoint/host").asText(), instance.at("/endpoint/port").asInt()))
        .withLocalDatacenter("datacenter1")
        .withAuthCredentials("app", TestCoffer.APP_PASSWORD)
        .withConfigLoader(
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(
                    DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                .build())
        .build();
  }

  private static SimpleStatement quorum(String cql) {
    return SimpleStatement.newInstance(cql).setConsistencyLevel(ConsistencyLevel.QUORUM);
  }

  private static long count(CqlSession session, String table, ConsistencyLevel level) {
    return session
        .execute(
            SimpleStatement.newInstance("SELECT count(*) FROM " + table).setConsistencyLevel(level))
        .one()
        .getLong(0);
  }
}

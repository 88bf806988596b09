package dev.coffer.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The documented {@code coffer_instance_*} names carry real values for a MariaDB, a PostgreSQL and
 * a Redis instance alike: opening client connections with each engine's own driver raises {@code
 * coffer_instance_connections} by as many, and the statements sent raise {@code
 * coffer_instance_operations_total}.
 */
class EngineMetricsTest {
  static final int CONNECTIONS = 4;

  /** docs/operations.md, "Metrics": every per-instance name an operator is promised. */
  static final List<String> DOCUMENTED =
      List.of(
          "coffer_instance_active",
          "coffer_instance_volume_size_bytes",
          "coffer_instance_volume_used_bytes",
          "coffer_instance_connections",
          "coffer_instance_operations_total",
          "coffer_instance_replication_lag_seconds",
          "coffer_instance_backup_age_seconds");

  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.119"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static String scrape() {
    TestCoffer.Response r = coffer.get("/coffer/v1/metrics");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.raw();
  }

  static double value(String text, String metric, String instanceId) {
    Matcher m =
        Pattern.compile(
                "(?m)^"
                    + Pattern.quote(metric)
                    + "\\{[^}]*instance_id=\""
                    + Pattern.quote(instanceId)
                    + "\"[^}]*\\} (\\S+)$")
            .matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  /** Starts an instance with database {@code shop} and user {@code app}; answers its id. */
  static String create(String name, String datastore) {
    String databases = datastore.equals("redis") ? "" : "\"databases\":[{\"name\":\"shop\"}],";
    String grants = datastore.equals("redis") ? "" : ",\"databases\":[{\"name\":\"shop\"}]";
    TestCoffer.Response created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + databases
                + "\"users\":[{\"name\":\"app\",\"password\":\""
                + TestCoffer.APP_PASSWORD
                + "\""
                + grants
                + "}],\"datastore\":{\"type\":\""
                + datastore
                + "\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    return created.body().at("/instance/id").asText();
  }

  /** Opens {@code n} client connections with the engine's own driver and works on each. */
  static List<AutoCloseable> connect(String datastore, JsonNode instance, int n) throws Exception {
    String host = instance.at("/endpoint/host").asText();
    int port = instance.at("/endpoint/port").asInt();
    List<AutoCloseable> open = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (datastore.equals("redis")) {
        Jedis jedis = new Jedis(host, port);
        open.add(jedis);
        jedis.auth("app", TestCoffer.APP_PASSWORD);
        for (int k = 0; k < 10; k++) {
          jedis.set("k" + i + "-" + k, "v");
        }
      } else {
        Connection c =
            DriverManager.getConnection(
                "jdbc:" + datastore + "://" + host + ":" + port + "/shop",
                "app",
                TestCoffer.APP_PASSWORD);
        open.add(c);
        try (Statement s = c.createStatement()) {
          for (int k = 0; k < 10; k++) {
            try (ResultSet rs = s.executeQuery("SELECT " + k)) {
              assertThat(rs.next()).isTrue();
            }
          }
        }
      }
    }
    return open;
  }

  @Test
  void connectionsAndOperationsOfMariaDbPostgresAndRedisShowInTheDocumentedNames()
      throws Exception {
    Map<String, String> ids = new LinkedHashMap<>();
    ids.put("mariadb", create("metered-mariadb", "mariadb"));
    ids.put("postgresql", create("metered-postgresql", "postgresql"));
    ids.put("redis", create("metered-redis", "redis"));
    Map<String, JsonNode> views = new LinkedHashMap<>();
    ids.forEach((datastore, id) -> views.put(datastore, coffer.awaitStatus(id, "ACTIVE")));

    // Each engine's own idle sessions (replication, background workers) are the baseline.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              String text = scrape();
              return ids.values().stream()
                  .allMatch(
                      id ->
                          !Double.isNaN(value(text, "coffer_instance_connections", id))
                              && !Double.isNaN(
                                  value(text, "coffer_instance_operations_total", id)));
            });
    String before = scrape();

    List<AutoCloseable> open = new ArrayList<>();
    try {
      for (var e : views.entrySet()) {
        open.addAll(connect(e.getKey(), e.getValue(), CONNECTIONS));
      }
      // All three are watched at once: each engine's load arrives with its next heartbeat.
      await("connections and operations of " + ids.keySet())
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                String text = scrape();
                return ids.values().stream()
                    .allMatch(
                        id ->
                            value(text, "coffer_instance_connections", id)
                                    >= value(before, "coffer_instance_connections", id)
                                        + CONNECTIONS
                                && value(text, "coffer_instance_operations_total", id)
                                    >= value(before, "coffer_instance_operations_total", id)
                                        + CONNECTIONS * 10);
              });
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
    }

    // A completed backup of each gives it the last name, its backup age.
    List<String> backups = new ArrayList<>();
    for (var e : ids.entrySet()) {
      TestCoffer.Response backup =
          coffer.post(
              coffer.v1("/backups"),
              "{\"backup\":{\"name\":\"m-"
                  + e.getKey()
                  + "\",\"instance\":\""
                  + e.getValue()
                  + "\"}}");
      assertThat(backup.status()).as(backup.raw()).isEqualTo(202);
      backups.add(backup.body().at("/backup/id").asText());
    }
    for (String backup : backups) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  coffer
                      .get(coffer.v1("/backups/" + backup))
                      .body()
                      .at("/backup/status")
                      .asText()
                      .equals("COMPLETED"));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              String text = scrape();
              return ids.values().stream()
                  .noneMatch(
                      id -> Double.isNaN(value(text, "coffer_instance_backup_age_seconds", id)));
            });

    String text = scrape();
    for (var e : ids.entrySet()) {
      String id = e.getValue();
      String datastore = e.getKey();
      for (String name : DOCUMENTED) {
        double v = value(text, name, id);
        if (name.equals("coffer_instance_replication_lag_seconds")) {
          // Only a replica is behind a source: a standalone instance may leave the series out.
          assertThat(Double.isNaN(v) || v >= 0).as(datastore + " " + name + " = " + v).isTrue();
          continue;
        }
        assertThat(v).as(datastore + " " + name).isNotNaN().isGreaterThanOrEqualTo(0);
      }
      assertThat(text)
          .contains(
              "coffer_instance_active{datastore=\""
                  + datastore
                  + "\",instance_id=\""
                  + id
                  + "\",project_id=\""
                  + coffer.project
                  + "\"} 1.0");
      assertThat(value(text, "coffer_instance_volume_size_bytes", id)).isEqualTo(1L << 30);
      assertThat(value(text, "coffer_instance_volume_used_bytes", id)).as(datastore).isPositive();
      assertThat(value(text, "coffer_instance_operations_total", id)).as(datastore).isPositive();
      assertThat(value(text, "coffer_instance_backup_age_seconds", id)).isBetween(0.0, 120.0);
    }
    for (String id : ids.values()) {
      assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    }
  }
}

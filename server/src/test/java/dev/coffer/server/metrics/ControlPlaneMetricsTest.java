package dev.coffer.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * {@code GET /coffer/v1/metrics} over a real Redis instance: requests are counted by route template
 * (never the raw URL), tasks by type and state with their durations, instances by status and
 * datastore, and the engine's own load under the {@code coffer_instance_*} names; the replication
 * families written by hand are still there.
 */
class ControlPlaneMetricsTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.109"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  String scrape() {
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

  /** A Redis instance with user {@code app}, once ACTIVE. */
  static JsonNode createRedis(String name) {
    TestCoffer.Response created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"users\":[{\"name\":\"app\",\"password\":\""
                + TestCoffer.APP_PASSWORD
                + "\"}],\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    return coffer.awaitStatus(created.body().at("/instance/id").asText(), "ACTIVE");
  }

  @Test
  void countsRequestsByRouteTasksAndInstancesAndReportsEachEnginesLoad() {
    JsonNode instance = createRedis("metered");
    String id = instance.path("id").asText();
    try (Jedis jedis =
        new Jedis(instance.at("/endpoint/host").asText(), instance.at("/endpoint/port").asInt())) {
      jedis.auth("app", TestCoffer.APP_PASSWORD);
      for (int i = 0; i < 50; i++) {
        jedis.set("k" + i, "v" + i);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  value(scrape(), "coffer_instance_connections", id) >= 1
                      && value(scrape(), "coffer_instance_operations_total", id) >= 50);
    }

    String text = scrape();
    assertThat(text)
        .containsPattern(
            "coffer_http_requests_seconds_count\\{method=\"GET\","
                + "route=\"/v1.0/\\{project_id\\}/instances/\\{id\\}\",status=\"200\"\\} \\d+")
        .containsPattern(
            "coffer_http_requests_seconds_count\\{method=\"POST\","
                + "route=\"/v1.0/\\{project_id\\}/instances\",status=\"200\"\\} 1")
        .doesNotContain("route=\"/v1.0/" + coffer.project)
        .contains("coffer_instances{datastore=\"redis\",status=\"ACTIVE\"} 1.0")
        .contains("coffer_tasks{state=\"DONE\",type=\"CREATE_INSTANCE\"} 1.0")
        .contains("coffer_task_duration_seconds_count{outcome=\"done\",type=\"CREATE_INSTANCE\"} 1")
        .contains(
            "coffer_instance_active{datastore=\"redis\",instance_id=\""
                + id
                + "\",project_id=\""
                + coffer.project
                + "\"} 1.0")
        .contains("# TYPE coffer_instance_operations_total counter")
        .contains("# TYPE coffer_replication_lag_seconds gauge");
    for (String family : ControlPlaneMetrics.FAMILIES) {
      if (!family.endsWith("_lag_seconds") && !family.endsWith("_backup_age_seconds")) {
        assertThat(text).as(family).containsPattern("(?m)^# TYPE " + family + " ");
      }
    }
    assertThat(value(text, "coffer_instance_volume_size_bytes", id)).isEqualTo(1L << 30);
    assertThat(value(text, "coffer_instance_volume_used_bytes", id)).isPositive();
    assertThat(value(text, "coffer_instance_connections", id)).isGreaterThanOrEqualTo(1);
    assertThat(value(text, "coffer_instance_operations_total", id)).isGreaterThanOrEqualTo(50);
    assertThat(value(text, "coffer_instance_backup_age_seconds", id))
        .as("no backup yet: no backup age")
        .isNaN();

    // A completed backup gives the instance a backup age, computed by the server.
    TestCoffer.Response backup =
        coffer.post(
            coffer.v1("/backups"), "{\"backup\":{\"name\":\"b1\",\"instance\":\"" + id + "\"}}");
    assertThat(backup.status()).as(backup.raw()).isEqualTo(202);
    String backupId = backup.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + backupId))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .equals("COMPLETED"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> coffer.status(id).filter("ACTIVE"::equals).isPresent());
    String withBackup = scrape();
    assertThat(value(withBackup, "coffer_instance_backup_age_seconds", id)).isBetween(0.0, 60.0);
    assertThat(withBackup)
        .contains(
            "coffer_task_duration_seconds_count{outcome=\"done\",type=\"BACKUP_INSTANCE\"} 1");

    // Without a token there are no metrics; a deleted instance leaves the per-instance families.
    assertThat(coffer.send("GET", "/coffer/v1/metrics", null, null).status()).isEqualTo(401);
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(() -> coffer.status(id).isEmpty());
    String after = scrape();
    assertThat(after).doesNotContain("instance_id=\"" + id + "\"");
    assertThat(after).doesNotContain("coffer_instances{datastore=\"redis\",status=\"ACTIVE\"}");
  }
}

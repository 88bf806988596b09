package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backup schedules fire on their cron expression, their retention deletes expired backups, and a
 * schedule with {@code verify} has each of its backups restore-drilled once it completes.
 */
class BackupScheduleTest {
  static TestCoffer coffer;
  static String instance;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"scheduled\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    instance = r.body().at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> coffer.status(instance).orElse("").equals("ACTIVE"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static List<JsonNode> backups() {
    List<JsonNode> all = new java.util.ArrayList<>();
    coffer
        .get(coffer.v1("/instances/" + instance + "/backups"))
        .body()
        .path("backups")
        .forEach(all::add);
    return all;
  }

  @Test
  void aScheduleTakesBackupsAndKeepsOnlyWhatItsRetentionSays() {
    var manual =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"manual\",\"instance\":\"" + instance + "\"}}");
    String manualId = manual.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofMinutes(1))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + manualId))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .equals("COMPLETED"));

    var set =
        coffer.put(
            coffer.v1("/instances/" + instance + "/backup_schedule"),
            "{\"backup_schedule\":{\"cron\":\"*/2 * * * * ?\",\"keep_last\":2,\"keep_daily\":0,\"keep_weekly\":0,\"keep_monthly\":0}}");
    assertThat(set.status()).as(set.raw()).isEqualTo(200);
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + instance + "/backup_schedule"))
                .body()
                .at("/backup_schedule/keep_last")
                .asInt())
        .isEqualTo(2);

    Set<String> seen = new HashSet<>();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              List<JsonNode> now = backups();
              now.stream()
                  .filter(b -> b.path("name").asText().startsWith("scheduled-"))
                  .forEach(b -> seen.add(b.path("id").asText()));
              long completedScheduled =
                  now.stream()
                      .filter(
                          b ->
                              b.path("name").asText().startsWith("scheduled-")
                                  && b.path("status").asText().equals("COMPLETED"))
                      .count();
              return seen.size() >= 4 && completedScheduled <= 2;
            });
    assertThat(backups()).extracting(b -> b.path("id").asText()).contains(manualId);

    assertThat(coffer.delete(coffer.v1("/instances/" + instance + "/backup_schedule")).status())
        .isEqualTo(204);
    assertThat(coffer.get(coffer.v1("/instances/" + instance + "/backup_schedule")).status())
        .isEqualTo(404);
  }

  @Test
  void aScheduleThatAsksForVerificationHasItsBackupsCheckedByARestoreDrill() {
    Set<String> before = new HashSet<>();
    backups().forEach(b -> before.add(b.path("id").asText()));
    String path = coffer.v1("/instances/" + instance + "/backup_schedule");
    var set =
        coffer.put(
            path,
            "{\"backup_schedule\":{\"cron\":\"*/3 * * * * ?\",\"verify\":true,\"keep_last\":10}}");
    assertThat(set.status()).as(set.raw()).isEqualTo(200);
    assertThat(set.body().at("/backup_schedule/verify").asBoolean()).isTrue();
    assertThat(coffer.get(path).body().at("/backup_schedule/verify").asBoolean()).isTrue();

    String[] scheduled = new String[1];
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              for (JsonNode b : backups()) {
                if (!before.contains(b.path("id").asText())
                    && b.path("name").asText().startsWith("scheduled-")) {
                  scheduled[0] = b.path("id").asText();
                  return true;
                }
              }
              return false;
            });
    // One scheduled backup is enough to see it verified.
    assertThat(coffer.delete(path).status()).isEqualTo(204);

    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                !coffer
                    .get(coffer.v1("/backups/" + scheduled[0]))
                    .body()
                    .at("/backup/verify_report")
                    .asText("")
                    .isEmpty());
    JsonNode verified = coffer.get(coffer.v1("/backups/" + scheduled[0])).body().path("backup");
    assertThat(verified.path("verify_report").asText())
        .as(verified.toString())
        .startsWith("consistent");
    assertThat(verified.path("verified_at").asText()).isNotEmpty();
    assertThat(verified.path("restore_seconds").asDouble()).isPositive();
  }

  @Test
  void aBadCronOrAnUnsupportedIncrementalIsRefusedNamingTheField() {
    var cron =
        coffer.put(
            coffer.v1("/instances/" + instance + "/backup_schedule"),
            "{\"backup_schedule\":{\"cron\":\"every day\"}}");
    assertThat(cron.status()).isEqualTo(400);
    assertThat(cron.body().at("/badRequest/message").asText()).contains("backup_schedule['cron']");
    var incremental =
        coffer.put(
            coffer.v1("/instances/" + instance + "/backup_schedule"),
            "{\"backup_schedule\":{\"cron\":\"0 3 * * *\",\"incremental\":true}}");
    assertThat(incremental.status()).isEqualTo(400);
    assertThat(incremental.body().at("/badRequest/message").asText()).contains("'redis' datastore");
    var keep =
        coffer.put(
            coffer.v1("/instances/" + instance + "/backup_schedule"),
            "{\"backup_schedule\":{\"cron\":\"0 3 * * *\",\"keep_last\":0}}");
    assertThat(keep.status()).isEqualTo(400);
    assertThat(keep.body().at("/badRequest/message").asText()).contains("keep_last");
    var verify =
        coffer.put(
            coffer.v1("/instances/" + instance + "/backup_schedule"),
            "{\"backup_schedule\":{\"cron\":\"0 3 * * *\",\"verify\":\"yes\"}}");
    assertThat(verify.status()).isEqualTo(400);
    assertThat(verify.body().at("/badRequest/message").asText())
        .contains("backup_schedule['verify']");
  }
}

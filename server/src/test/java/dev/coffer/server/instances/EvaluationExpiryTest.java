package dev.coffer.server.instances;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import dev.coffer.server.identity.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Datastore governance: a version offered to listed projects only is invisible to the others and
 * refused to them; instances of an evaluation version expire (the operator's TTL), are warned
 * ahead, can be extended by an admin, and at expiry are backed up and only then deleted — across a
 * control-plane restart, and never deleted when the backup cannot be taken.
 */
class EvaluationExpiryTest {
  static TestCoffer coffer;
  static String team;
  static String member;
  static String version;

  @BeforeAll
  static void start() throws Exception {
    coffer =
        TestCoffer.start(
            Map.of(
                "COFFER_ADDRESS_POOL", "127.106",
                "COFFER_EVALUATION_TTL", "PT25S",
                "COFFER_EVALUATION_WARNING", "PT20S"));
    var identity = coffer.coffer.identity();
    team = identity.createProject("eval-team").id();
    identity.createUserAccount("eve", "eve-password-1", team, Role.MEMBER);
    member = identity.login("eve", "eve-password-1", Optional.empty(), Optional.empty()).secret();
    version =
        coffer.get(coffer.v1("/datastores/redis/versions")).body().at("/versions/0/name").asText();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static TestCoffer.Response asMember(String method, String path, String body) {
    return coffer.send(method, "/v1.0/" + team + path, body, member);
  }

  static TestCoffer.Response manage(String body) {
    return coffer.patch("/coffer/v1/datastores/redis/versions/" + version, body);
  }

  static List<String> redisVersionsSeenByMember() {
    List<String> names = new ArrayList<>();
    asMember("GET", "/datastores", null)
        .body()
        .path("datastores")
        .forEach(
            ds -> {
              if (ds.path("name").asText().equals("redis")) {
                ds.path("versions").forEach(v -> names.add(v.path("name").asText()));
              }
            });
    return names;
  }

  /** Trove's times: UTC, to the second, without a zone. */
  static Instant wireTime(String text) {
    return java.time.LocalDateTime.parse(text).toInstant(java.time.ZoneOffset.UTC);
  }

  /** The target's events oldest first, a status change written as {@code status:<to>}. */
  static List<String> eventsOf(String target) {
    List<String> types = new ArrayList<>();
    coffer
        .get("/coffer/v1/events?target=" + target)
        .body()
        .path("events")
        .forEach(
            e -> {
              String type = e.path("type").asText();
              types.add(
                  type.equals("instance.status_changed")
                      ? "status:" + e.at("/details/to").asText()
                      : type);
            });
    return types;
  }

  static String redis(String name, String extra) {
    return "{\"instance\":{\"name\":\""
        + name
        + "\",\"flavorRef\":1,"
        + extra
        + "\"datastore\":{\"type\":\"redis\",\"version\":\""
        + version
        + "\"}}}";
  }

  @Test
  void aVersionOfferedToListedProjectsIsInvisibleAndRefusedToOthers() {
    assertThat(redisVersionsSeenByMember()).contains(version);
    var restricted =
        manage("{\"visibility\":\"projects\",\"projects\":[\"" + coffer.project + "\"]}");
    assertThat(restricted.status()).as(restricted.raw()).isEqualTo(200);
    assertThat(restricted.body().at("/version/visibility").asText()).isEqualTo("projects");
    assertThat(restricted.body().at("/version/projects/0").asText()).isEqualTo(coffer.project);
    try {
      assertThat(redisVersionsSeenByMember()).doesNotContain(version);
      assertThat(asMember("GET", "/datastores/redis/versions/" + version, null).status())
          .isEqualTo(404);
      var refused = asMember("POST", "/instances", redis("not-offered", ""));
      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.raw()).contains("instance['datastore']['version']");

      var unknownProject = manage("{\"visibility\":\"projects\",\"projects\":[\"nope\"]}");
      assertThat(unknownProject.status()).isEqualTo(400);
      assertThat(unknownProject.raw()).contains("projects");
      assertThat(manage("{\"visibility\":\"everyone\"}").status()).isEqualTo(400);
      assertThat(
              coffer
                  .send(
                      "PATCH",
                      "/coffer/v1/datastores/redis/versions/" + version,
                      "{\"visibility\":\"public\"}",
                      member)
                  .status())
          .isEqualTo(403);
    } finally {
      assertThat(manage("{\"visibility\":\"public\"}").status()).isEqualTo(200);
    }
    assertThat(redisVersionsSeenByMember()).contains(version);
  }

  @Test
  void aHiddenVersionIsInvisibleAndRefusedToProjectsButAdminsStillSeeIt() {
    var hidden = manage("{\"state\":\"hidden\"}");
    assertThat(hidden.status()).as(hidden.raw()).isEqualTo(200);
    try {
      assertThat(redisVersionsSeenByMember()).doesNotContain(version);
      var shown = asMember("GET", "/datastores/redis/versions/" + version, null);
      assertThat(shown.status()).as(shown.raw()).isEqualTo(404);
      var refused = asMember("POST", "/instances", redis("hidden-version", ""));
      assertThat(refused.status()).as(refused.raw()).isEqualTo(400);
      assertThat(refused.raw()).contains("instance['datastore']['version']");
      assertThat(asMember("GET", "/instances", null).raw()).doesNotContain("hidden-version");
      // The operator still sees it, to show it again.
      assertThat(coffer.get(coffer.v1("/datastores/redis/versions/" + version)).status())
          .isEqualTo(200);
    } finally {
      assertThat(manage("{\"state\":\"active\"}").status()).isEqualTo(200);
    }
    assertThat(redisVersionsSeenByMember()).contains(version);
  }

  @Test
  void anInstanceOfAnyVersionMayAskForAnExpiry() {
    var zero = asMember("POST", "/instances", redis("never", "\"expires_in_hours\":0,"));
    assertThat(zero.status()).isEqualTo(400);
    assertThat(zero.raw()).contains("instance['expires_in_hours']");
    Instant before = Instant.now();
    var asked = asMember("POST", "/instances", redis("short-lived", "\"expires_in_hours\":2,"));
    assertThat(asked.status()).as(asked.raw()).isEqualTo(200);
    String id = asked.body().at("/instance/id").asText();
    JsonNode shown = asMember("GET", "/instances/" + id, null).body().path("instance");
    assertThat(wireTime(shown.path("expires_at").asText()))
        .isBetween(before.plus(Duration.ofMinutes(119)), Instant.now().plus(Duration.ofHours(2)));
    assertThat(shown.at("/expiry/state").asText()).isEqualTo("waiting");
    // Members cannot extend, even their own instance.
    assertThat(
            asMember("POST", "/instances/" + id + "/action", "{\"extend\":{\"hours\":1}}").status())
        .isEqualTo(403);
  }

  @Test
  void evaluationInstancesAreWarnedBackedUpAndThenDeletedEvenAcrossARestart() {
    assertThat(manage("{\"state\":\"evaluation\"}").status()).isEqualTo(200);
    try {
      var tooLong = coffer.post(coffer.v1("/instances"), redis("long", "\"expires_in_hours\":1,"));
      assertThat(tooLong.status()).isEqualTo(400);
      assertThat(tooLong.raw()).contains("instance['expires_in_hours']", "25 seconds");

      Instant before = Instant.now();
      var expiring = coffer.post(coffer.v1("/instances"), redis("trial", ""));
      assertThat(expiring.status()).as(expiring.raw()).isEqualTo(200);
      String trial = expiring.body().at("/instance/id").asText();
      var kept = coffer.post(coffer.v1("/instances"), redis("kept", ""));
      String keptId = kept.body().at("/instance/id").asText();
      // The member's project may not take backups: its instance's expiry cannot back it up.
      assertThat(
              coffer
                  .put(coffer.v1("/mgmt/quotas/" + team), "{\"quotas\":{\"backups\":0}}")
                  .status())
          .isEqualTo(200);
      var unbackable = asMember("POST", "/instances", redis("unbackable", ""));
      assertThat(unbackable.status()).as(unbackable.raw()).isEqualTo(200);
      String unbackableId = unbackable.body().at("/instance/id").asText();

      JsonNode shown = coffer.get(coffer.v1("/instances/" + trial)).body().path("instance");
      Instant expiresAt = wireTime(shown.path("expires_at").asText());
      assertThat(expiresAt).isBetween(before.plusSeconds(23), Instant.now().plusSeconds(26));

      // Only an admin extends; the kept instance then outlives the test.
      assertThat(
              asMember(
                      "POST",
                      "/instances/" + unbackableId + "/action",
                      "{\"extend\":{\"hours\":1}}")
                  .status())
          .isEqualTo(403);
      var extended =
          coffer.post(coffer.v1("/instances/" + keptId + "/action"), "{\"extend\":{\"hours\":1}}");
      assertThat(extended.status()).as(extended.raw()).isEqualTo(202);
      JsonNode keptView = coffer.get(coffer.v1("/instances/" + keptId)).body().path("instance");
      assertThat(wireTime(keptView.path("expires_at").asText()))
          .isAfter(Instant.now().plus(Duration.ofMinutes(59)));

      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () ->
                  !coffer
                      .get(coffer.v1("/instances/" + trial))
                      .body()
                      .at("/instance/expiry/warned_at")
                      .isNull());

      // The expiry is durable: a control plane restarted before it still carries it out.
      coffer.awaitStatus(trial, "ACTIVE");
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () ->
                  asMember("GET", "/instances/" + unbackableId, null)
                      .body()
                      .at("/instance/status")
                      .asText()
                      .equals("ACTIVE"));
      coffer = coffer.restart();

      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> coffer.get(coffer.v1("/instances/" + trial)).status() == 404);
      JsonNode backups = coffer.get(coffer.v1("/backups?instance_id=" + trial)).body();
      assertThat(backups.path("backups")).hasSize(1);
      assertThat(backups.at("/backups/0/status").asText()).isEqualTo("COMPLETED");
      assertThat(backups.at("/backups/0/name").asText()).isEqualTo("expiry-trial");
      // The whole life reached the event log (and so the project's webhooks), in the order it
      // happened: built, warned, backed up, expired, then deleted. The warning comes 5 s after the
      // create whatever the status, so only its place after BUILD and before the backup is fixed.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> eventsOf(trial).contains("instance.deleted"));
      List<String> life = eventsOf(trial);
      assertThat(life)
          .containsSubsequence(
              "status:BUILD",
              "instance.expiring",
              "backup.completed",
              "instance.expired",
              "instance.deleted")
          .containsSubsequence("status:ACTIVE", "backup.completed")
          .doesNotContain("instance.expiry_failed", "backup.failed", "instance.fault");
      assertThat(life.get(0)).isEqualTo("status:BUILD");
      assertThat(life.get(life.size() - 1)).isEqualTo("instance.deleted");
      assertThat(life.stream().filter(t -> t.equals("instance.expired"))).hasSize(1);
      assertThat(life.stream().filter(t -> t.equals("instance.deleted")))
          .as(life.toString())
          .hasSize(1);

      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  asMember("GET", "/instances/" + unbackableId, null)
                      .body()
                      .at("/instance/expiry/state")
                      .asText()
                      .equals("failed"));
      JsonNode failed = asMember("GET", "/instances/" + unbackableId, null).body().path("instance");
      assertThat(failed.at("/fault/message").asText())
          .contains("Expiry stopped, the instance is kept", "['backups']");
      assertThat(coffer.get(coffer.v1("/instances/" + keptId)).status()).isEqualTo(200);
    } finally {
      assertThat(manage("{\"state\":\"active\"}").status()).isEqualTo(200);
    }
  }
}

package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.api.agent.Json;
import dev.coffer.server.identity.Role;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trove's backup strategies choose the container later backups are written to (in the file store, a
 * subdirectory): an explicit {@code swift_container} beats the instance's strategy, which beats the
 * project's, which beats the store's root; a backup keeps the place it was written to.
 */
class BackupStrategyTest {
  static TestCoffer coffer;
  static String instance;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"strategic\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    instance = r.body().at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> coffer.status(instance).orElse("").equals("ACTIVE"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static JsonNode json(String text) throws Exception {
    return Json.newMapper().readTree(text);
  }

  /** Takes a backup and waits until it is COMPLETED; returns its view. */
  static JsonNode completedBackup(String name, String extra) {
    var r =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\""
                + name
                + "\",\"instance\":\""
                + instance
                + "\""
                + extra
                + "}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(202);
    String id = r.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + id))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .matches("COMPLETED|FAILED"));
    JsonNode backup = coffer.get(coffer.v1("/backups/" + id)).body().path("backup");
    assertThat(backup.path("status").asText()).as(backup.toString()).isEqualTo("COMPLETED");
    return backup;
  }

  /** Where a backup's object is in the file store, checked to exist and to match locationRef. */
  static Path storedAt(JsonNode backup, String container) {
    Path expected =
        coffer
            .home
            .resolve("backups")
            .resolve(container)
            .resolve(coffer.project)
            .resolve(instance)
            .resolve(backup.path("id").asText() + ".backup");
    assertThat(Path.of(URI.create(backup.path("locationRef").asText()))).isEqualTo(expected);
    assertThat(expected).isRegularFile();
    return expected;
  }

  static JsonNode strategies(String query) {
    var r = coffer.get(coffer.v1("/backup_strategies" + query));
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().path("backup_strategies");
  }

  @Test
  void aStrategyChoosesTheContainerOfLaterBackupsAndOldBackupsStayWhereTheyAre() throws Exception {
    JsonNode before = completedBackup("before-any-strategy", "");
    storedAt(before, "");

    var project =
        coffer.post(
            coffer.v1("/backup_strategies"),
            "{\"backup_strategy\":{\"swift_container\":\"proj-backups\"}}");
    assertThat(project.status()).as(project.raw()).isEqualTo(202);
    assertThat(project.body())
        .isEqualTo(
            json(
                """
                {"backup_strategy":{"project_id":"%s","instance_id":"","backend":"file",
                 "swift_container":"proj-backups"}}"""
                    .formatted(coffer.project)));
    var own =
        coffer.post(
            coffer.v1("/backup_strategies"),
            "{\"backup_strategy\":{\"instance_id\":\""
                + instance
                + "\",\"swift_container\":\"my-db-backups\"}}");
    assertThat(own.status()).as(own.raw()).isEqualTo(202);
    assertThat(own.body())
        .isEqualTo(
            json(
                """
                {"backup_strategy":{"project_id":"%s","instance_id":"%s","backend":"file",
                 "swift_container":"my-db-backups"}}"""
                    .formatted(coffer.project, instance)));
    assertThat(strategies(""))
        .extracting(s -> s.path("instance_id").asText() + "=" + s.path("swift_container").asText())
        .containsExactly("=proj-backups", instance + "=my-db-backups");
    assertThat(strategies("?instance_id=" + instance))
        .extracting(s -> s.path("swift_container").asText())
        .containsExactly("my-db-backups");
    assertThat(strategies("?project_id=" + coffer.project)).hasSize(2);

    JsonNode inInstanceContainer = completedBackup("instance-strategy", "");
    Path instanceObject = storedAt(inInstanceContainer, "my-db-backups");
    JsonNode explicit = completedBackup("explicit", ",\"swift_container\":\"one-off\"");
    storedAt(explicit, "one-off");

    var deleted = coffer.delete(coffer.v1("/backup_strategies?instance_id=" + instance));
    assertThat(deleted.status()).isEqualTo(202);
    assertThat(deleted.raw()).isEmpty();
    assertThat(strategies("?instance_id=" + instance)).isEmpty();
    JsonNode inProjectContainer = completedBackup("project-strategy", "");
    storedAt(inProjectContainer, "proj-backups");

    var renamed =
        coffer.post(
            coffer.v1("/backup_strategies"),
            "{\"backup_strategy\":{\"instance_id\":\"\",\"swift_container\":\"renamed\"}}");
    assertThat(renamed.status()).isEqualTo(202);
    assertThat(strategies(""))
        .extracting(s -> s.path("swift_container").asText())
        .containsExactly("renamed");
    assertThat(coffer.delete(coffer.v1("/backup_strategies")).status()).isEqualTo(202);
    assertThat(strategies("")).isEmpty();
    assertThat(coffer.delete(coffer.v1("/backup_strategies")).status())
        .as("deleting what is not there is fine, as in Trove")
        .isEqualTo(202);
    storedAt(completedBackup("after-all-strategies", ""), "");

    for (JsonNode earlier : new JsonNode[] {before, inInstanceContainer, inProjectContainer}) {
      JsonNode now =
          coffer.get(coffer.v1("/backups/" + earlier.path("id").asText())).body().path("backup");
      assertThat(now.path("locationRef")).isEqualTo(earlier.path("locationRef"));
    }
    assertThat(instanceObject).isRegularFile();

    var restored =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"from-container\",\"flavorRef\":1,"
                + "\"restorePoint\":{\"backupRef\":\""
                + inInstanceContainer.path("id").asText()
                + "\"}}}");
    assertThat(restored.status()).as(restored.raw()).isEqualTo(200);
    String restoredId = restored.body().at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> coffer.status(restoredId).orElse("").matches("ACTIVE|ERROR"));
    assertThat(coffer.status(restoredId)).hasValue("ACTIVE");
    coffer.delete(coffer.v1("/instances/" + restoredId));
  }

  @Test
  void badContainerNamesAreRefusedNamingTheField() {
    for (String bad :
        new String[] {
          "\"../etc\"",
          "\".hidden\"",
          "\"a/b\"",
          "\"a b\"",
          "5",
          "{}",
          "\"" + "c".repeat(129) + "\""
        }) {
      var r =
          coffer.post(
              coffer.v1("/backup_strategies"),
              "{\"backup_strategy\":{\"swift_container\":" + bad + "}}");
      assertThat(r.status()).as(bad + " -> " + r.raw()).isEqualTo(400);
      assertThat(r.body().at("/badRequest/message").asText())
          .contains("backup_strategy['swift_container']");
    }
    var missing =
        coffer.post(
            coffer.v1("/backup_strategies"),
            "{\"backup_strategy\":{\"instance_id\":\"" + instance + "\"}}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.body().at("/badRequest/message").asText())
        .contains("backup_strategy['swift_container']");
    var noBody = coffer.post(coffer.v1("/backup_strategies"), "{\"strategy\":{}}");
    assertThat(noBody.status()).isEqualTo(400);
    assertThat(noBody.body().at("/badRequest/message").asText()).contains("backup_strategy");
    var backup =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"x\",\"instance\":\""
                + instance
                + "\",\"swift_container\":\"../x\"}}");
    assertThat(backup.status()).isEqualTo(400);
    assertThat(backup.body().at("/badRequest/message").asText())
        .contains("backup['swift_container']");
  }

  @Test
  void unknownInstancesAndAnotherProjectsInstancesAnswer404AndItsStrategiesAreNotShown() {
    var unknown =
        coffer.post(
            coffer.v1("/backup_strategies"),
            "{\"backup_strategy\":{\"instance_id\":\"nosuch\",\"swift_container\":\"c\"}}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body().at("/itemNotFound/message").asText())
        .isEqualTo("Instance nosuch could not be found.");
    assertThat(coffer.delete(coffer.v1("/backup_strategies?instance_id=nosuch")).status())
        .isEqualTo(404);

    var identity = coffer.coffer.identity();
    var team = identity.createProject("strategy-team-b");
    identity.createUserAccount("bo", "bo-password-1", team.id(), Role.MEMBER);
    String other =
        identity.login("bo", "bo-password-1", Optional.empty(), Optional.empty()).secret();
    String theirs = "/v1.0/" + team.id() + "/backup_strategies";
    var create =
        coffer.send(
            "POST",
            theirs,
            "{\"backup_strategy\":{\"instance_id\":\""
                + instance
                + "\",\"swift_container\":\"c\"}}",
            other);
    assertThat(create.status()).as(create.raw()).isEqualTo(404);
    assertThat(coffer.send("DELETE", theirs + "?instance_id=" + instance, null, other).status())
        .isEqualTo(404);
    var peek = coffer.send("GET", theirs + "?project_id=" + coffer.project, null, other);
    assertThat(peek.status()).as(peek.raw()).isEqualTo(403);
    assertThat(peek.body().has("forbidden")).isTrue();
    assertThat(
            coffer.send("DELETE", theirs + "?project_id=" + coffer.project, null, other).status())
        .isEqualTo(403);
    assertThat(coffer.send("GET", theirs, null, other).body().path("backup_strategies")).isEmpty();

    // An admin may look at another project's strategies, as in Trove.
    coffer.send(
        "POST", theirs, "{\"backup_strategy\":{\"swift_container\":\"team-b-backups\"}}", other);
    assertThat(strategies("?project_id=" + team.id()))
        .extracting(s -> s.path("swift_container").asText())
        .containsExactly("team-b-backups");
  }
}

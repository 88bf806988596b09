package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.backup.keys.MasterKey;
import dev.coffer.server.identity.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An admin rotates the master key: a new key wraps new backups, every earlier backup's data key is
 * re-wrapped onto it, and once the old key is removed and the server restarted, a backup taken
 * before the rotation still restores.
 */
class MasterKeyRotationTest {
  static TestCoffer coffer;
  static String instance;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"keyed\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    instance = r.body().at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> coffer.status(instance).orElse("").equals("ACTIVE"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static String completedBackup(String name) {
    var r =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"" + name + "\",\"instance\":\"" + instance + "\"}}");
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
                    .equals("COMPLETED"));
    return id;
  }

  static void restoresToActive(String name, String backupId) {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":1,\"restorePoint\":{\"backupRef\":\""
                + backupId
                + "\"}}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    String id = r.body().at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> coffer.status(id).orElse("").matches("ACTIVE|ERROR"));
    assertThat(coffer.get(coffer.v1("/instances/" + id)).body().path("instance").toString())
        .contains("\"status\":\"ACTIVE\"");
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
  }

  static long backupsWrappedBy(JsonNode keys, String id) {
    for (JsonNode key : keys.path("keys")) {
      if (key.path("id").asText().equals(id)) {
        return key.path("backups").asLong();
      }
    }
    return 0;
  }

  @Test
  void rotationRewrapsEveryBackupSoTheOldKeyCanGoAndOldBackupsStillRestore() throws Exception {
    Path keyFile = coffer.home.resolve("master.key");
    String oldKey = MasterKey.load(keyFile).id();
    String before = completedBackup("before-rotation");
    JsonNode shown = coffer.get("/coffer/v1/backup_keys").body().path("backup_keys");
    assertThat(shown.path("current_key_id").asText()).isEqualTo(oldKey);
    assertThat(shown.path("source").asText()).isEqualTo("file");
    assertThat(backupsWrappedBy(shown, oldKey)).isEqualTo(1);

    var rotated = coffer.post("/coffer/v1/backup_keys/rotate", null);
    assertThat(rotated.status()).as(rotated.raw()).isEqualTo(200);
    JsonNode after = rotated.body().path("backup_keys");
    String newKey = after.path("current_key_id").asText();
    assertThat(newKey).isNotEqualTo(oldKey).isEqualTo(MasterKey.load(keyFile).id());
    assertThat(after.path("rewrapped").asInt()).isEqualTo(1);
    assertThat(backupsWrappedBy(after, oldKey)).isZero();
    assertThat(backupsWrappedBy(after, newKey)).isEqualTo(1);
    Path retired = coffer.home.resolve("master.key.retired-" + oldKey);
    assertThat(MasterKey.load(retired).id()).isEqualTo(oldKey);

    String afterRotation = completedBackup("after-rotation");
    assertThat(
            backupsWrappedBy(
                coffer.get("/coffer/v1/backup_keys").body().path("backup_keys"), newKey))
        .isEqualTo(2);

    // The operator removes the old key; a restarted server holds only the new one.
    Files.delete(retired);
    coffer = coffer.restart();
    JsonNode restarted = coffer.get("/coffer/v1/backup_keys").body().path("backup_keys");
    assertThat(restarted.path("keys")).hasSize(1);
    restoresToActive("restored-before", before);
    restoresToActive("restored-after", afterRotation);
  }

  @Test
  void onlyAnAdminMayRotateAndAKeyFromTheSettingsIsRotatedByTheOperator() throws Exception {
    coffer.coffer.identity().createUserAccount("mo", "mo-password-1", coffer.project, Role.MEMBER);
    String member =
        coffer
            .coffer
            .identity()
            .login("mo", "mo-password-1", Optional.empty(), Optional.empty())
            .secret();
    var refused = coffer.send("POST", "/coffer/v1/backup_keys/rotate", null, member);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.body().has("forbidden")).isTrue();
    assertThat(coffer.send("GET", "/coffer/v1/backup_keys", null, member).status()).isEqualTo(403);

    TestCoffer given =
        TestCoffer.start(Map.of("COFFER_MASTER_KEY", MasterKey.generate().toBase64()));
    try {
      var r = given.post("/coffer/v1/backup_keys/rotate", null);
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.body().at("/conflict/message").asText())
          .contains("COFFER_MASTER_KEY", "COFFER_PREVIOUS_MASTER_KEYS", "rewrap");
      var rewrap = given.post("/coffer/v1/backup_keys/rewrap", null);
      assertThat(rewrap.status()).isEqualTo(200);
      assertThat(rewrap.body().at("/backup_keys/source").asText()).isEqualTo("settings");
    } finally {
      given.close();
    }
  }
}

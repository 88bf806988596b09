package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.identity.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deletion protection (native, like RDS) and Trove's admin-only reset_status, over the API with a
 * real engine.
 */
class InstanceProtectionTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.92"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void aProtectedInstanceRefusesDeleteUntilTheFlagIsOffAndOnlyAnAdminResetsItsStatus() {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"keep\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"deletion_protection\":true,\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id))
                .body()
                .at("/instance/deletion_protection")
                .asBoolean())
        .isTrue();

    var refused = coffer.delete(coffer.v1("/instances/" + id));
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.raw()).contains("has deletion protection");
    assertThat(coffer.status(id)).hasValue("ACTIVE");

    var identity = coffer.coffer.identity();
    identity.createUserAccount("mo", "mo-password-1", coffer.project, Role.MEMBER);
    String member =
        identity.login("mo", "mo-password-1", Optional.empty(), Optional.empty()).secret();
    var notAdmin =
        coffer.send(
            "POST", coffer.v1("/instances/" + id + "/action"), "{\"reset_status\":{}}", member);
    assertThat(notAdmin.status()).isEqualTo(403);
    assertThat(notAdmin.raw()).contains("Policy doesn't allow instance:reset_status");
    assertThat(
            coffer
                .post(coffer.v1("/instances/" + id + "/action"), "{\"reset_status\":{}}")
                .status())
        .isEqualTo(202);
    assertThat(coffer.status(id)).hasValue("ACTIVE");

    var off =
        coffer.put(coffer.v1("/instances/" + id), "{\"instance\":{\"deletion_protection\":false}}");
    assertThat(off.status()).as(off.raw()).isEqualTo(202);
    var bad =
        coffer.put(
            coffer.v1("/instances/" + id), "{\"instance\":{\"deletion_protection\":\"no\"}}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.raw()).contains("deletion_protection");
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
  }

  /**
   * Trove's reset_status also fails the instance's unfinished backups, and nothing of them stays.
   */
  @Test
  void resettingTheStatusFailsARunningBackupAndRemovesItsObject() throws Exception {
    JsonNode instance = coffer.createShop("busy", "mariadb", "1", "");
    String id = instance.path("id").asText();
    String url = TestCoffer.jdbcUrl("mariadb", instance, "shop");
    // enough data that the backup is still running when the reset comes
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int auto_increment primary key, pad char(200))");
      s.execute("insert into t (pad) values ('x')");
      for (int i = 0; i < 17; i++) {
        s.execute("insert into t (pad) select pad from t");
      }
    }
    var backup =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"cut-short\",\"instance\":\"" + id + "\"}}");
    assertThat(backup.status()).as(backup.raw()).isEqualTo(202);
    String backupId = backup.body().at("/backup/id").asText();
    assertThat(
            coffer
                .post(coffer.v1("/instances/" + id + "/action"), "{\"reset_status\":{}}")
                .status())
        .isEqualTo(202);
    JsonNode failed = coffer.get(coffer.v1("/backups/" + backupId)).body().path("backup");
    assertThat(failed.path("status").asText()).isEqualTo("FAILED");
    assertThat(failed.at("/fault/message").asText())
        .isEqualTo("The instance's status was reset by an administrator.");
    // the agent finishes its upload later: the backup stays FAILED and its object goes
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                coffer
                        .get(coffer.v1("/backups/" + backupId))
                        .body()
                        .at("/backup/status")
                        .asText()
                        .equals("FAILED")
                    && objectsOf(backupId).isEmpty()
                    && coffer.status(id).orElse("").equals("ACTIVE"));
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
  }

  private static List<Path> objectsOf(String backupId) throws IOException {
    Path store = coffer.home.resolve("backups");
    if (!Files.exists(store)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(store)) {
      return files.filter(p -> p.toString().contains(backupId)).toList();
    }
  }
}

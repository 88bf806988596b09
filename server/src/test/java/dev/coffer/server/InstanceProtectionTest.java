package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coffer.server.identity.Role;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
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
}

package dev.coffer.server.configurations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Configuration groups over the Trove API with real engines, the same calls for every engine: a
 * dynamic parameter is in effect at once (read back with the engine's own client), a
 * restart-required one shows RESTART_REQUIRED until a restart, detaching restores the defaults, and
 * out-of-range values are refused before anything reaches the instance.
 */
abstract class ConfigurationGroupScenario {
  TestCoffer coffer;

  abstract String datastore();

  abstract String addressPool();

  /** Users and databases for the create request (JSON fragment ending in a comma). */
  String initialObjects() {
    return "";
  }

  /** A parameter the engine changes live, and a value different from its default. */
  abstract Map.Entry<String, Object> dynamicParameter();

  /** A parameter that needs a restart, and a value different from its default. */
  abstract Map.Entry<String, Object> restartParameter();

  /** The value the engine itself reports (its own client, not the agent). */
  abstract String engineValue(JsonNode instance, String parameter) throws Exception;

  @BeforeEach
  void start() throws IOException {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", addressPool()));
  }

  @AfterEach
  void stop() {
    coffer.close();
  }

  @Test
  void aGroupTunesTheEngineLiveMarksRestartRequiredAndDetachingRestoresDefaults() throws Exception {
    String id = create();
    JsonNode instance = awaitStatus(id, "ACTIVE");
    String versionId =
        coffer
            .get(coffer.v1("/datastores/" + datastore()))
            .body()
            .at("/datastore/default_version")
            .asText();
    JsonNode parameters =
        coffer.get(coffer.v1("/datastores/versions/" + versionId + "/parameters")).body();
    assertThat(parameters.path("configuration-parameters").size()).isGreaterThanOrEqualTo(25);
    String dynamic = dynamicParameter().getKey();
    String restart = restartParameter().getKey();
    JsonNode dynamicSpec =
        coffer
            .get(coffer.v1("/datastores/versions/" + versionId + "/parameters/" + dynamic))
            .body();
    assertThat(dynamicSpec.path("restart_required").asBoolean()).isFalse();
    assertThat(
            coffer
                .get(coffer.v1("/datastores/versions/" + versionId + "/parameters/" + restart))
                .body()
                .path("restart_required")
                .asBoolean())
        .isTrue();
    String dynamicDefault = engineValue(instance, dynamic);
    String restartDefault = engineValue(instance, restart);

    // Out of range or unknown: refused, naming the parameter, before any instance is touched.
    if (dynamicSpec.has("max")) {
      var tooBig =
          coffer.post(
              coffer.v1("/configurations"),
              group("too-big", Map.of(dynamic, dynamicSpec.path("max").asLong() + 1)));
      assertThat(tooBig.status()).isEqualTo(422);
      assertThat(tooBig.raw()).contains(dynamic).contains("valid range");
    }
    var unknown =
        coffer.post(coffer.v1("/configurations"), group("unknown", Map.of("no_such_knob", 1)));
    assertThat(unknown.status()).isEqualTo(422);
    assertThat(unknown.raw()).contains("no_such_knob");

    // A dynamic value: in effect without a restart.
    var created =
        coffer.post(
            coffer.v1("/configurations"),
            group("tuned", Map.of(dynamic, dynamicParameter().getValue())));
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String groupId = created.body().at("/configuration/id").asText();
    var attached =
        coffer.put(
            coffer.v1("/instances/" + id),
            "{\"instance\":{\"configuration\":\"" + groupId + "\"}}");
    assertThat(attached.status()).as(attached.raw()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(engineValue(instance, dynamic))
                    .isEqualTo(String.valueOf(dynamicParameter().getValue())));
    assertThat(coffer.status(id)).hasValue("ACTIVE");
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id))
                .body()
                .at("/instance/configuration/id")
                .asText())
        .isEqualTo(groupId);
    assertThat(coffer.get(coffer.v1("/configurations/" + groupId + "/instances")).raw())
        .contains(id);
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id + "/configuration"))
                .body()
                .at("/instance/configuration/" + dynamic)
                .asText())
        .isEqualTo(String.valueOf(dynamicParameter().getValue()));

    // A restart-required value: RESTART_REQUIRED, not in effect until the restart.
    var patched =
        coffer.patch(
            coffer.v1("/configurations/" + groupId),
            "{\"configuration\":{\"values\":"
                + coffer.json(Map.of(restart, restartParameter().getValue()))
                + "}}");
    assertThat(patched.status()).as(patched.raw()).isEqualTo(200);
    awaitStatus(id, "RESTART_REQUIRED");
    assertThat(engineValue(instance, restart)).isEqualTo(restartDefault);
    assertThat(coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"restart\":{}}").status())
        .isEqualTo(202);
    awaitStatus(id, "ACTIVE");
    assertThat(engineValue(instance, restart))
        .isEqualTo(String.valueOf(restartParameter().getValue()));
    assertThat(engineValue(instance, dynamic))
        .isEqualTo(String.valueOf(dynamicParameter().getValue()));

    // In use: not deletable. Detach: the defaults come back (the restart-only one after a restart).
    assertThat(coffer.delete(coffer.v1("/configurations/" + groupId)).status()).isEqualTo(400);
    var detached =
        coffer.put(coffer.v1("/instances/" + id), "{\"instance\":{\"configuration\":null}}");
    assertThat(detached.status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(engineValue(instance, dynamic)).isEqualTo(dynamicDefault));
    awaitStatus(id, "RESTART_REQUIRED");
    coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"restart\":{}}");
    awaitStatus(id, "ACTIVE");
    assertThat(engineValue(instance, restart)).isEqualTo(restartDefault);
    assertThat(coffer.delete(coffer.v1("/configurations/" + groupId)).status()).isEqualTo(202);
  }

  @Test
  void anInstanceCreatedWithAGroupServesWithEveryValueAlreadyInEffect() throws Exception {
    String dynamic = dynamicParameter().getKey();
    String restart = restartParameter().getKey();
    var created =
        coffer.post(
            coffer.v1("/configurations"),
            group(
                "at-create",
                Map.of(
                    dynamic, dynamicParameter().getValue(),
                    restart, restartParameter().getValue())));
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String groupId = created.body().at("/configuration/id").asText();
    var unknown = coffer.post(coffer.v1("/instances"), createBody("\"configuration\":\"nope\","));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.raw()).contains("instance['configuration']").contains("nope");

    var r =
        coffer.post(coffer.v1("/instances"), createBody("\"configuration\":\"" + groupId + "\","));
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    String id = r.body().at("/instance/id").asText();
    // never RESTART_REQUIRED: the restart-only value is in effect when it first serves
    JsonNode instance = awaitStatus(id, "ACTIVE");
    assertThat(instance.at("/configuration/id").asText()).isEqualTo(groupId);
    assertThat(engineValue(instance, dynamic))
        .isEqualTo(String.valueOf(dynamicParameter().getValue()));
    assertThat(engineValue(instance, restart))
        .isEqualTo(String.valueOf(restartParameter().getValue()));
    assertThat(coffer.get(coffer.v1("/configurations/" + groupId + "/instances")).raw())
        .contains(id);
  }

  String create() {
    var r = coffer.post(coffer.v1("/instances"), createBody(""));
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().at("/instance/id").asText();
  }

  String createBody(String extra) {
    return "{\"instance\":{\"name\":\"tuned\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
        + initialObjects()
        + extra
        + "\"datastore\":{\"type\":\""
        + datastore()
        + "\"}}}";
  }

  JsonNode awaitStatus(String id, String status) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue(status));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  String group(String name, Map<String, Object> values) {
    return "{\"configuration\":{\"name\":\""
        + name
        + "\",\"values\":"
        + coffer.json(values)
        + ",\"datastore\":{\"type\":\""
        + datastore()
        + "\"}}}";
  }

  static String host(JsonNode instance) {
    return instance.at("/endpoint/host").asText();
  }

  static int port(JsonNode instance) {
    return instance.at("/endpoint/port").asInt();
  }
}

package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Backups go off-site: the same API with an S3-compatible store (a real S3Proxy). */
class S3BackupTest {
  static S3ProxyProcess s3;
  static String bucket;
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    s3 = new S3ProxyProcess();
    bucket = s3.newBucket();
    coffer =
        TestCoffer.start(
            Map.of(
                "COFFER_BACKUP_STORE",
                "s3",
                "COFFER_S3_ENDPOINT",
                s3.endpoint.toString(),
                "COFFER_S3_REGION",
                S3ProxyProcess.REGION,
                "COFFER_S3_BUCKET",
                bucket,
                "COFFER_S3_ACCESS_KEY",
                s3.accessKey,
                "COFFER_S3_SECRET_KEY",
                s3.secretKey,
                "COFFER_S3_PATH_STYLE",
                "true"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (coffer != null) {
      coffer.close();
    }
    s3.close();
  }

  static JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  @Test
  void aBackupStoredInS3RestoresIntoANewInstanceAndIsRemovedFromTheBucketOnDelete() {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"s3src\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"},"
                + "\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\"}]}}");
    String source = created.body().at("/instance/id").asText();
    JsonNode instance = awaitActive(source);
    try (Jedis jedis =
        new Jedis(instance.at("/endpoint/host").asText(), instance.at("/endpoint/port").asInt())) {
      jedis.auth("app", "Secret-1");
      jedis.set("offsite", "yes");
    }
    var backup =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"s3\",\"instance\":\"" + source + "\"}}");
    String id = backup.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                !List.of("NEW", "BUILDING")
                    .contains(
                        coffer
                            .get(coffer.v1("/backups/" + id))
                            .body()
                            .at("/backup/status")
                            .asText()));
    JsonNode done = coffer.get(coffer.v1("/backups/" + id)).body().path("backup");
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(done.path("locationRef").asText())
        .isEqualTo("s3://" + bucket + "/" + coffer.project + "/" + source + "/" + id + ".backup");
    assertThat(s3.client().listObjectsV2(b -> b.bucket(bucket)).contents()).hasSize(1);

    var restored =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"s3copy\",\"flavorRef\":1,\"restorePoint\":{\"backupRef\":\""
                + id
                + "\"}}}");
    JsonNode copy = awaitActive(restored.body().at("/instance/id").asText());
    try (Jedis jedis =
        new Jedis(copy.at("/endpoint/host").asText(), copy.at("/endpoint/port").asInt())) {
      jedis.auth("app", "Secret-1");
      assertThat(jedis.get("offsite")).isEqualTo("yes");
    }

    assertThat(coffer.delete(coffer.v1("/backups/" + id)).status()).isEqualTo(202);
    assertThat(s3.client().listObjectsV2(b -> b.bucket(bucket)).contents()).isEmpty();
  }

  @Test
  void aBackupStrategysContainerIsAKeyPrefixInsideTheBucket() {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"s3strategy\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    String source = created.body().at("/instance/id").asText();
    awaitActive(source);
    var strategy =
        coffer.post(
            coffer.v1("/backup_strategies"),
            "{\"backup_strategy\":{\"instance_id\":\""
                + source
                + "\",\"swift_container\":\"offsite-db\"}}");
    assertThat(strategy.status()).as(strategy.raw()).isEqualTo(202);
    assertThat(strategy.body().at("/backup_strategy/backend").asText()).isEqualTo("s3");

    var backup =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"prefixed\",\"instance\":\"" + source + "\"}}");
    String id = backup.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                !List.of("NEW", "BUILDING")
                    .contains(
                        coffer
                            .get(coffer.v1("/backups/" + id))
                            .body()
                            .at("/backup/status")
                            .asText()));
    JsonNode done = coffer.get(coffer.v1("/backups/" + id)).body().path("backup");
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    String key = "offsite-db/" + coffer.project + "/" + source + "/" + id + ".backup";
    assertThat(done.path("locationRef").asText()).isEqualTo("s3://" + bucket + "/" + key);
    assertThat(s3.client().listObjectsV2(b -> b.bucket(bucket)).contents())
        .extracting(o -> o.key())
        .contains(key);
    assertThat(coffer.delete(coffer.v1("/backups/" + id)).status()).isEqualTo(202);
  }
}

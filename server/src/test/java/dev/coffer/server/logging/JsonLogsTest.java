package dev.coffer.server.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.server.ServerConfig;
import dev.coffer.server.TestCoffer;
import dev.coffer.server.audit.AuditRoutes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code COFFER_LOG_FORMAT=json}: the server and the agents it starts write one JSON object per
 * line; a line written while handling a request carries the id the client got in {@code
 * x-openstack-request-id}, a task's lines and every agent line carry the instance id.
 */
class JsonLogsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer =
        TestCoffer.start(
            Map.of(
                "COFFER_ADDRESS_POOL", "127.116",
                "COFFER_LOG_FORMAT", "json",
                "COFFER_LOG_FILE", "log/server.log"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void theServerAndItsAgentsLogJsonLinesCarryingRequestAndInstanceIds() throws Exception {
    HttpResponse<String> created =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(coffer.url() + coffer.v1("/instances")))
                    .header("Content-Type", "application/json")
                    .header("X-Auth-Token", coffer.token)
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"instance\":{\"name\":\"logged\",\"flavorRef\":\"1\","
                                + "\"volume\":{\"size\":1},\"datastore\":{\"type\":\"redis\"}}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String requestId = created.headers().firstValue(AuditRoutes.REQUEST_ID_HEADER).orElseThrow();
    String id = JSON.readTree(created.body()).at("/instance/id").asText();
    coffer.awaitStatus(id, "ACTIVE");

    Path serverLog = coffer.home.resolve("log").resolve("server.log");
    List<JsonNode> server = jsonLines(serverLog);
    assertThat(server)
        .allSatisfy(
            line -> {
              assertThat(line.path("time").asText()).isNotEmpty();
              assertThat(line.path("level").asText()).isNotEmpty();
              assertThat(line.path("logger").asText()).isNotEmpty();
              assertThat(line.path("thread").asText()).isNotEmpty();
              assertThat(line.has("message")).isTrue();
            });
    assertThat(server)
        .as("a line written while the create was handled")
        .anySatisfy(
            line -> {
              assertThat(line.path("request_id").asText()).isEqualTo(requestId);
              assertThat(line.path("message").asText()).contains(id);
            });
    assertThat(server)
        .as("a line of the create task, naming the request that asked for it")
        .anySatisfy(
            line -> {
              assertThat(line.path("instance_id").asText()).isEqualTo(id);
              assertThat(line.path("request_id").asText()).isEqualTo(requestId);
              assertThat(line.path("thread").asText()).isNotEqualTo(threadOf(server, requestId));
            });

    Path agentLog = coffer.home.resolve("instances").resolve(id).resolve("agent.log");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(jsonLines(agentLog)).isNotEmpty());
    assertThat(jsonLines(agentLog))
        .allSatisfy(line -> assertThat(line.path("instance_id").asText()).isEqualTo(id));
  }

  @Test
  void anUnknownFormatIsRefusedAtStartNamingTheSetting() {
    assertThatThrownBy(
            () ->
                ServerConfig.fromEnvironment(
                    Map.of("COFFER_HOME", "/tmp/coffer-x", "COFFER_LOG_FORMAT", "xml")))
        .hasMessageContaining("COFFER_LOG_FORMAT")
        .hasMessageContaining("'xml'");
  }

  private static String threadOf(List<JsonNode> lines, String requestId) {
    return lines.stream()
        .filter(l -> requestId.equals(l.path("request_id").asText()))
        .map(l -> l.path("thread").asText())
        .findFirst()
        .orElse("");
  }

  /** Every line of the file, each of which must be a JSON object. */
  private static List<JsonNode> jsonLines(Path file) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String text : Files.readAllLines(file)) {
      JsonNode line = JSON.readTree(text);
      assertThat(line.isObject()).as(text).isTrue();
      lines.add(line);
    }
    return lines;
  }
}

package dev.coffer.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.coffer.api.agent.Json;
import dev.coffer.server.TestCoffer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, point 4: events reach a configured webhook signed with its secret; a failed delivery is
 * retried, and a restart of the control plane between the attempts loses nothing and announces no
 * status twice.
 */
class WebhookDeliveryTest {
  private static final ObjectMapper JSON = Json.newMapper();

  record Received(String event, String eventId, String delivery, String signature, byte[] body) {}

  static TestCoffer coffer;
  static HttpServer receiver;
  static final List<Received> received = new CopyOnWriteArrayList<>();
  static final AtomicInteger requests = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          var h = exchange.getRequestHeaders();
          received.add(
              new Received(
                  h.getFirst("X-Coffer-Event"),
                  h.getFirst("X-Coffer-Event-Id"),
                  h.getFirst("X-Coffer-Delivery"),
                  h.getFirst("X-Coffer-Signature"),
                  body));
          // The first delivery fails, as a receiver that is briefly down would.
          exchange.sendResponseHeaders(requests.getAndIncrement() == 0 ? 500 : 204, -1);
          exchange.close();
        });
    receiver.start();
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.108"));
  }

  @AfterAll
  static void stop() {
    try {
      coffer.close();
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void aFailedDeliveryIsRetriedSignedAfterARestartAndNothingIsAnnouncedTwice() throws Exception {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"hooked\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    coffer.awaitStatus(id, "ACTIVE");

    String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    var hook =
        coffer.post(
            "/coffer/v1/webhooks",
            "{\"webhook\":{\"url\":\"" + url + "\",\"events\":[\"instance.status_changed\"]}}");
    assertThat(hook.status()).as(hook.raw()).isEqualTo(201);
    String hookId = hook.body().at("/webhook/id").asText();
    String secret = hook.body().at("/webhook/secret").asText();
    assertThat(secret).hasSizeGreaterThanOrEqualTo(32);
    var listed = coffer.get("/coffer/v1/webhooks");
    assertThat(listed.raw()).contains(hookId).doesNotContain(secret);

    var restart = coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"restart\":{}}");
    assertThat(restart.status()).as(restart.raw()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                deliveries(hookId).stream()
                    .anyMatch(
                        d ->
                            d.path("state").asText().equals("PENDING")
                                && d.path("attempts").asInt() == 1
                                && d.path("last_response").asInt() == 500));
    Received failed = received.get(0);
    assertThat(body(failed).path("details").path("to").asText()).isEqualTo("REBOOT");

    // The retry is due 5 s after the failure: it is made by the restarted control plane.
    coffer = coffer.restart();

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> received.stream().skip(1).anyMatch(r -> r.eventId().equals(failed.eventId())));
    for (Received r : received) {
      assertThat(r.signature()).isEqualTo("sha256=" + hmac(secret, r.body()));
      assertThat(r.event()).isEqualTo("instance.status_changed");
      assertThat(body(r).path("id").asText()).isEqualTo(r.eventId());
      assertThat(body(r).path("target_id").asText()).isEqualTo(id);
    }
    JsonNode retried =
        deliveries(hookId).stream()
            .filter(d -> d.path("id").asText().equals(failed.delivery()))
            .findFirst()
            .orElseThrow();
    assertThat(retried.path("state").asText()).isEqualTo("DELIVERED");
    assertThat(retried.path("attempts").asInt()).isEqualTo(2);
    assertThat(retried.path("last_response").asInt()).isEqualTo(204);

    List<String> statuses = new ArrayList<>();
    coffer
        .get(coffer.v1("/instances/" + id + "/events"))
        .body()
        .path("events")
        .forEach(e -> statuses.add(e.path("details").path("to").asText()));
    assertThat(statuses).containsSubsequence("BUILD", "ACTIVE", "REBOOT");
    for (int i = 1; i < statuses.size(); i++) {
      assertThat(statuses.get(i))
          .as("announced once across the restart")
          .isNotEqualTo(statuses.get(i - 1));
    }

    assertThat(coffer.delete("/coffer/v1/webhooks/" + hookId).status()).isEqualTo(204);
    assertThat(coffer.get("/coffer/v1/webhooks/" + hookId + "/deliveries").status()).isEqualTo(404);
  }

  private static List<JsonNode> deliveries(String hookId) {
    var r = coffer.get("/coffer/v1/webhooks/" + hookId + "/deliveries");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    List<JsonNode> list = new ArrayList<>();
    r.body().path("deliveries").forEach(list::add);
    return list;
  }

  @Test
  void webhooksNeedAnHttpUrlAndKnownEventTypeNames() {
    var ftp = coffer.post("/coffer/v1/webhooks", "{\"webhook\":{\"url\":\"ftp://example.org/x\"}}");
    assertThat(ftp.status()).isEqualTo(400);
    assertThat(ftp.raw()).contains("webhook['url']");
    var types =
        coffer.post(
            "/coffer/v1/webhooks",
            "{\"webhook\":{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"Not A Type\"]}}");
    assertThat(types.status()).isEqualTo(400);
    assertThat(types.raw()).contains("webhook['events']");
    assertThat(coffer.post("/coffer/v1/webhooks", "{}").status()).isEqualTo(400);
  }

  @Test
  void onlyAdministratorsReceiveEveryProjectsEventsAndOthersDoNotSeeTheirHooks() {
    var user =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\"hooker\",\"password\":\"Hooker-pass-1\",\"project_id\":\""
                + coffer.project
                + "\",\"role\":\"member\"}}");
    assertThat(user.status()).as(user.raw()).isEqualTo(201);
    var login =
        coffer.send(
            "POST",
            "/coffer/v1/tokens",
            "{\"username\":\"hooker\",\"password\":\"Hooker-pass-1\"}",
            null);
    String member = login.body().at("/token/id").asText();
    String everything = "{\"webhook\":{\"url\":\"http://127.0.0.1:9/all\",\"all_projects\":true}}";

    var refused = coffer.send("POST", "/coffer/v1/webhooks", everything, member);
    assertThat(refused.status()).isEqualTo(403);
    var global = coffer.post("/coffer/v1/webhooks", everything);
    assertThat(global.status()).as(global.raw()).isEqualTo(201);
    String id = global.body().at("/webhook/id").asText();
    assertThat(global.body().at("/webhook/all_projects").asBoolean()).isTrue();

    assertThat(coffer.send("GET", "/coffer/v1/webhooks", null, member).raw()).doesNotContain(id);
    assertThat(coffer.get("/coffer/v1/webhooks").raw()).contains(id);
    assertThat(
            coffer.send("GET", "/coffer/v1/webhooks/" + id + "/deliveries", null, member).status())
        .isEqualTo(404);
    assertThat(coffer.send("DELETE", "/coffer/v1/webhooks/" + id, null, member).status())
        .isEqualTo(404);
    assertThat(coffer.delete("/coffer/v1/webhooks/" + id).status()).isEqualTo(204);
  }

  private static JsonNode body(Received r) {
    try {
      return JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static String hmac(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }
}

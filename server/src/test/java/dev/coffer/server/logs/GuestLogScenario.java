package dev.coffer.server.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Trove's guest logs over HTTP with real engines, the same calls for every engine: the logs are
 * listed with Trove's fields, a SYS log cannot be switched, a slow query reaches the slow query log
 * (read with Coffer's tail), publishing puts exactly the new bytes into the backup store,
 * discarding removes them, the setting survives a restart, and a disabled log stays quiet.
 */
abstract class GuestLogScenario {
  TestCoffer coffer;

  abstract String datastore();

  /** The SYS log's name and a line every fresh instance writes to it. */
  abstract Map.Entry<String, String> systemLog();

  /** Users and databases for the create request (JSON fragment ending in a comma). */
  String initialObjects() {
    return "";
  }

  /** Whether the engine has USER logs (general and slow_query). */
  boolean hasUserLogs() {
    return true;
  }

  /**
   * Runs a statement lasting {@code seconds} as the tenant; the log shows {@code marker}, the
   * statement's {@code (seconds)}.
   */
  void runSlowQuery(JsonNode instance, double seconds, String marker) throws Exception {
    throw new UnsupportedOperationException();
  }

  /** Runs a fast statement the general log shows with {@code marker}. */
  void runQuery(JsonNode instance, String marker) throws Exception {
    throw new UnsupportedOperationException();
  }

  /** Waits until what the engine logged so far is in the file (synchronous for most engines). */
  void flushLog(JsonNode instance, String id) throws Exception {}

  @BeforeEach
  void start() throws IOException {
    coffer = TestCoffer.start();
  }

  @AfterEach
  void stop() {
    coffer.close();
  }

  @Test
  void guestLogsAreListedSwitchedReadPublishedAndDiscarded() throws Exception {
    String id = create();
    JsonNode instance = awaitStatus(id, "ACTIVE");
    String system = systemLog().getKey();

    var listed = coffer.get(coffer.v1("/instances/" + id + "/log"));
    assertThat(listed.status()).as(listed.raw()).isEqualTo(200);
    JsonNode sys = byName(listed.body().path("logs"), system);
    assertThat(sys.path("type").asText()).isEqualTo("SYS");
    assertThat(sys.path("status").asText()).isEqualTo("Ready");
    assertThat(sys.path("pending").asLong()).isPositive();
    assertThat(sys.path("published").asLong()).isZero();
    assertThat(sys.path("container").asText()).isEqualTo("None");
    assertThat(sys.path("metafile").asText())
        .isEqualTo(id + "/" + datastore() + "-" + system + "_metafile");

    // Trove's refusals, naming the log.
    var enableSys = action("{\"name\":\"" + system + "\",\"enable\":1}");
    assertThat(enableSys.status()).isEqualTo(400);
    assertThat(enableSys.raw()).contains("Cannot enable a SYSTEM log ('" + system + "')");
    var unknown = action("{\"name\":\"no_such_log\"}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.raw()).contains("no_such_log");
    assertThat(action("{\"name\":\"" + system + "\",\"enable\":1,\"disable\":1}").status())
        .isEqualTo(400);

    // The SYS log: tail, publish exactly its bytes, discard them.
    assertThat(String.join("\n", tail(id, system, 200))).contains(systemLog().getValue());
    JsonNode published = action("{\"name\":\"" + system + "\",\"publish\":1}").body().path("log");
    assertThat(published.path("status").asText()).isEqualTo("Published");
    assertThat(published.path("pending").asLong()).isZero();
    assertThat(published.path("published").asLong()).isPositive();
    assertThat(storedText(published)).contains(systemLog().getValue());
    JsonNode discarded = action("{\"name\":\"" + system + "\",\"discard\":1}").body().path("log");
    assertThat(discarded.path("published").asLong()).isZero();
    assertThat(discarded.path("container").asText()).isEqualTo("None");
    assertThat(storedObjects(published)).isEmpty();

    if (!hasUserLogs()) {
      assertThat(listed.body().path("logs").size()).isEqualTo(1);
      return;
    }
    JsonNode slow = byName(listed.body().path("logs"), "slow_query");
    assertThat(slow.path("type").asText()).isEqualTo("USER");
    assertThat(slow.path("status").asText()).isEqualTo("Disabled");
    assertThat(byName(listed.body().path("logs"), "general").path("status").asText())
        .isEqualTo("Disabled");

    // Slow query log on: a slow statement is in the tail; a fast one is not.
    var enabled = action("{\"name\":\"slow_query\",\"enable\":1}");
    assertThat(enabled.status()).as(enabled.raw()).isEqualTo(200);
    assertThat(enabled.body().at("/log/status").asText()).isIn("Enabled", "Ready");
    runSlowQuery(instance, 1.2, "(1.2)");
    runQuery(instance, "quick-one");
    flushLog(instance, id);
    awaitTail(id, "slow_query", "(1.2)");
    assertThat(String.join("\n", tail(id, "slow_query", 50))).doesNotContain("quick-one");

    // Publish: the object holds the slow statement; nothing pending. Discard: gone.
    JsonNode slowPublished = action("{\"name\":\"slow_query\",\"publish\":1}").body().path("log");
    assertThat(slowPublished.path("status").asText()).isEqualTo("Published");
    assertThat(slowPublished.path("pending").asLong()).isZero();
    assertThat(storedText(slowPublished)).contains("(1.2)");
    runSlowQuery(instance, 1.1, "(1.1)");
    flushLog(instance, id);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> assertThat(show("slow_query").path("status").asText()).isEqualTo("Partial"));
    JsonNode again = action("{\"name\":\"slow_query\",\"publish\":1}").body().path("log");
    assertThat(storedObjects(again)).hasSize(2);
    assertThat(storedText(again)).contains("(1.2)").contains("(1.1)");
    JsonNode slowDiscarded = action("{\"name\":\"slow_query\",\"discard\":1}").body().path("log");
    assertThat(slowDiscarded.path("published").asLong()).isZero();
    assertThat(slowDiscarded.path("status").asText()).isEqualTo("Ready");
    assertThat(storedObjects(again)).isEmpty();

    // The general log never shows the agent's statements, passwords among them.
    action("{\"name\":\"general\",\"enable\":1}");
    var user =
        coffer.post(
            coffer.v1("/instances/" + id + "/users"),
            "{\"users\":[{\"name\":\"audited\",\"password\":\"Pw-Marker-4711\"}]}");
    assertThat(user.status()).as(user.raw()).isEqualTo(202);
    runQuery(instance, "general-marker");
    flushLog(instance, id);
    awaitTail(id, "general", "general-marker");
    assertThat(String.join("\n", tail(id, "general", 1000))).doesNotContain("Pw-Marker-4711");

    // A restart keeps the slow query log on.
    assertThat(coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"restart\":{}}").status())
        .isEqualTo(202);
    awaitStatus(id, "ACTIVE");
    assertThat(show("slow_query").path("status").asText()).isNotEqualTo("Disabled");
    runSlowQuery(instance, 1.3, "(1.3)");
    flushLog(instance, id);
    awaitTail(id, "slow_query", "(1.3)");

    // Off: a slow statement is no longer logged (general too: PostgreSQL's logs share one file).
    assertThat(action("{\"name\":\"general\",\"disable\":1}").body().at("/log/status").asText())
        .isEqualTo("Disabled");
    JsonNode disabled = action("{\"name\":\"slow_query\",\"disable\":1}").body().path("log");
    assertThat(disabled.path("status").asText()).isEqualTo("Disabled");
    runSlowQuery(instance, 1.25, "(1.25)");
    flushLog(instance, id);
    assertThat(String.join("\n", tail(id, "slow_query", 200))).doesNotContain("(1.25)");
  }

  private String instanceId;

  /** {@code POST /instances/{id}/log} on the instance under test. */
  TestCoffer.Response action(String body) {
    return coffer.post(coffer.v1("/instances/" + instanceId + "/log"), body);
  }

  JsonNode show(String name) {
    var r = action("{\"name\":\"" + name + "\"}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().path("log");
  }

  List<String> tail(String id, String name, int lines) {
    var r = coffer.get(coffer.v1("/instances/" + id + "/log/" + name + "?lines=" + lines));
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    List<String> result = new ArrayList<>();
    r.body().at("/log/lines").forEach(l -> result.add(l.asText()));
    return result;
  }

  void awaitTail(String id, String name, String text) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(String.join("\n", tail(id, name, 200))).contains(text));
  }

  /** The published pieces of a log in the (file) backup store, from the view's container. */
  static List<Path> storedObjects(JsonNode view) throws IOException {
    Path container = Path.of(URI.create(view.path("container").asText()));
    return list(container.resolve(view.path("prefix").asText()));
  }

  static String storedText(JsonNode view) throws IOException {
    StringBuilder text = new StringBuilder();
    for (Path piece : storedObjects(view)) {
      text.append(Files.readString(piece, StandardCharsets.UTF_8));
    }
    return text.toString();
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  static JsonNode byName(JsonNode logs, String name) {
    for (JsonNode log : logs) {
      if (log.path("name").asText().equals(name)) {
        return log;
      }
    }
    throw new AssertionError("no log " + name + " in " + logs);
  }

  String create() {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"logged\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + initialObjects()
                + "\"datastore\":{\"type\":\""
                + datastore()
                + "\"}}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    instanceId = r.body().at("/instance/id").asText();
    return instanceId;
  }

  JsonNode awaitStatus(String id, String status) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue(status));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  static String host(JsonNode instance) {
    return instance.at("/endpoint/host").asText();
  }

  static int port(JsonNode instance) {
    return instance.at("/endpoint/port").asInt();
  }
}

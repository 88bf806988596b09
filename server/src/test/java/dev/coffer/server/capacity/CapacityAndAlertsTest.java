package dev.coffer.server.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import dev.coffer.server.events.Event;
import dev.coffer.server.identity.Role;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Capacity planning and the built-in alerts over a real Redis instance that the test fills at a
 * known rate: the volume samples grow, so the instance and its project get a growth per day (that
 * rate, within a tolerance), days until full and the storage needed in 30 and 90 days; crossing a
 * (low) volume threshold raises {@code alert.volume_full} once, and growing the volume clears it
 * with {@code alert.resolved}.
 */
class CapacityAndAlertsTest {
  static final List<Event> events = new CopyOnWriteArrayList<>();
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer =
        TestCoffer.start(
            Map.of(
                "COFFER_ADDRESS_POOL", "127.110",
                "COFFER_CAPACITY_SAMPLE_SECONDS", "1",
                "COFFER_ALERT_INTERVAL_SECONDS", "1",
                // 0.5 % of 1 GiB is 5.4 MB: the test writes 8 MB; 0.5 % of 2 GiB is 10.7 MB
                "COFFER_ALERT_VOLUME_PERCENT", "0.5",
                "COFFER_ALERT_NOT_ACTIVE_MINUTES", "0"),
            events::add);
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  JsonNode capacity(String id) {
    TestCoffer.Response r = coffer.get(coffer.v1("/instances/" + id + "/capacity"));
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().path("capacity");
  }

  List<Event> eventsOf(String id, String type) {
    return events.stream().filter(e -> e.targetId().equals(id) && e.type().equals(type)).toList();
  }

  /** A Redis instance with user {@code app}, once ACTIVE. */
  static JsonNode createRedis(String name) {
    TestCoffer.Response created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"users\":[{\"name\":\"app\",\"password\":\""
                + TestCoffer.APP_PASSWORD
                + "\"}],\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    return coffer.awaitStatus(created.body().at("/instance/id").asText(), "ACTIVE");
  }

  @Test
  void aFillingVolumeIsForecastAndAlertedOnceUntilItIsGrown() {
    JsonNode instance = createRedis("filling");
    String id = instance.path("id").asText();
    JsonNode before = capacity(id);
    assertThat(before.path("volume_size_bytes").asLong()).isEqualTo(1L << 30);
    assertThat(before.path("volume_used_bytes").asLong())
        .as("starts under the alert threshold")
        .isLessThan(5_000_000L);

    // Written at a known rate, 100 kB every 200 ms (500 kB/s) for 16 s, from just after ACTIVE:
    // the forecast's growth must be that rate, less the few flat samples around the writing.
    String chunk = "x".repeat(100_000);
    int chunks = 80;
    AtomicInteger written = new AtomicInteger();
    AtomicLong firstAt = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    try (Jedis jedis =
        new Jedis(instance.at("/endpoint/host").asText(), instance.at("/endpoint/port").asInt())) {
      jedis.auth("app", TestCoffer.APP_PASSWORD);
      pacer.scheduleAtFixedRate(
          () -> {
            int i = written.get();
            if (i < chunks) {
              jedis.set("k" + i, chunk);
              long at = System.nanoTime();
              firstAt.compareAndSet(0, at);
              lastAt.set(at);
              written.incrementAndGet();
            }
          },
          0,
          200,
          TimeUnit.MILLISECONDS);
      await()
          .atMost(Duration.ofSeconds(40))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> written.get() == chunks);
    } finally {
      pacer.shutdownNow();
    }
    long bytes = (long) chunks * chunk.length();
    double seconds = (lastAt.get() - firstAt.get()) / 1e9;
    double writtenPerDay = bytes / seconds * 86_400;
    long usedBefore = before.path("volume_used_bytes").asLong();
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> capacity(id).path("volume_used_bytes").asLong() >= usedBefore + bytes);
    JsonNode grown = capacity(id);
    assertThat(grown.path("samples").asInt()).as(grown.toString()).isGreaterThanOrEqualTo(10);
    assertThat((double) grown.path("growth_bytes_per_day").asLong())
        .as("growth per day against the %.0f bytes/day written; %s", writtenPerDay, grown)
        .isBetween(0.6 * writtenPerDay, 1.4 * writtenPerDay);
    assertThat(grown.path("days_until_full").isNumber()).as(grown.toString()).isTrue();
    assertThat(grown.path("used_percent").asDouble()).isGreaterThan(0.5);
    assertThat(grown.path("projected_used_30d_bytes").asLong())
        .isGreaterThan(grown.path("volume_used_bytes").asLong());

    TestCoffer.Response project = coffer.get("/coffer/v1/capacity");
    assertThat(project.status()).as(project.raw()).isEqualTo(200);
    JsonNode p = project.body().path("capacity");
    assertThat(p.path("project_id").asText()).isEqualTo(coffer.project);
    assertThat(p.path("instances").get(0).path("instance_id").asText()).isEqualTo(id);
    assertThat(p.path("storage_needed_30d_bytes").asLong())
        .isGreaterThan(p.path("volume_used_bytes").asLong());
    assertThat(p.path("storage_needed_90d_bytes").asLong())
        .isGreaterThan(p.path("storage_needed_30d_bytes").asLong());

    // The alert starts once and is not repeated while it lasts.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> eventsOf(id, "alert.volume_full").size() == 1);
    Event raised = eventsOf(id, "alert.volume_full").get(0);
    assertThat(raised.projectId()).isEqualTo(coffer.project);
    assertThat(raised.severity()).isEqualTo("warning");
    assertThat(raised.details()).containsEntry("kind", "volume_full");
    JsonNode alerts = coffer.get("/coffer/v1/alerts").body().path("alerts");
    assertThat(alerts).hasSize(1);
    assertThat(alerts.get(0).path("kind").asText()).isEqualTo("volume_full");
    assertThat(alerts.get(0).path("instance_id").asText()).isEqualTo(id);

    // Another project's member sees none of it, and no metrics.
    var identity = coffer.coffer.identity();
    var team = identity.createProject("capacity-team-b");
    identity.createUserAccount("cleo", "cleo-password-1", team.id(), Role.MEMBER);
    String theirs =
        identity.login("cleo", "cleo-password-1", Optional.empty(), Optional.empty()).secret();
    assertThat(coffer.send("GET", "/coffer/v1/alerts", null, theirs).body().path("alerts"))
        .isEmpty();
    assertThat(coffer.send("GET", "/coffer/v1/metrics", null, theirs).status()).isEqualTo(403);
    assertThat(
            coffer
                .send("GET", "/coffer/v1/capacity?project_id=" + coffer.project, null, theirs)
                .status())
        .isEqualTo(403);
    JsonNode own = coffer.send("GET", "/coffer/v1/capacity", null, theirs).body().path("capacity");
    assertThat(own.path("project_id").asText()).isEqualTo(team.id());
    assertThat(own.path("instances")).isEmpty();
    assertThat(own.path("storage_needed_30d_bytes").asLong()).isZero();
    assertThat(
            coffer
                .send("GET", "/v1.0/" + team.id() + "/instances/" + id + "/capacity", null, theirs)
                .status())
        .isEqualTo(404);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> eventsOf(id, "alert.volume_full").size() == 1);

    // A larger volume brings the share under the threshold: resolved, once.
    TestCoffer.Response resize =
        coffer.post(
            coffer.v1("/instances/" + id + "/action"), "{\"resize\":{\"volume\":{\"size\":2}}}");
    assertThat(resize.status()).as(resize.raw()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(() -> eventsOf(id, "alert.resolved").size() == 1);
    assertThat(eventsOf(id, "alert.resolved").get(0).details())
        .containsEntry("kind", "volume_full");
    assertThat(coffer.get("/coffer/v1/alerts").body().path("alerts")).isEmpty();
    assertThat(eventsOf(id, "alert.volume_full")).hasSize(1);
    coffer.awaitStatus(id, "ACTIVE");

    assertThat(coffer.get(coffer.v1("/instances/nope/capacity")).status()).isEqualTo(404);
  }
}

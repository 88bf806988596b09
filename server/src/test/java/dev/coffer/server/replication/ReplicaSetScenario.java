package dev.coffer.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The replication promises of issue 4, the same for every engine, over the Trove API with real
 * engines and their real clients: replicas serve what the primary wrote and refuse writes; a
 * switchover under a steady write load loses no acknowledged write; after the primary's engine and
 * agent are killed with SIGKILL, automatic failover makes a replica serve writes again through the
 * same endpoint (the test prints the measured RTO and how many acknowledged writes were lost); the
 * old primary rejoins as a replica; a replica detaches into a standalone instance.
 */
abstract class ReplicaSetScenario {
  TestCoffer coffer;

  /** The engine's own client: writes and reads numbered rows as the tenant user. */
  interface Client {
    void write(String host, int port, long n) throws Exception;

    Set<Long> read(String host, int port) throws Exception;

    /** Makes the table or key space the writes go to, on the primary. */
    default void setUp(String host, int port) throws Exception {}
  }

  abstract String datastore();

  /** Users and databases for the primary's create request (JSON fragment ending in a comma). */
  abstract String initialObjects();

  abstract Client client();

  /**
   * Whether the failover test first makes the old primary's history diverge: replication to the
   * replicas is paused ({@link #pauseReplication}) while the primary acknowledges a few more
   * writes, then the primary is killed, so the promoted replica lacks writes the old primary has.
   */
  boolean divergeBeforeFailover() {
    return false;
  }

  /** Stops the replica from receiving its source's changes (engine-specific, as its admin). */
  void pauseReplication(String replicaId) throws Exception {
    throw new UnsupportedOperationException();
  }

  /** Whether the set is created synchronous (then failover must lose nothing). */
  boolean synchronous() {
    return false;
  }

  @BeforeEach
  void start() throws IOException {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", addressPool()));
  }

  abstract String addressPool();

  @AfterEach
  void stop() {
    coffer.close();
  }

  @Test
  void aReplicaSetServesReadsSwitchesOverFailsOverAndRejoinsWithoutLosingAcknowledgedWrites()
      throws Exception {
    String primary = create("main", initialObjects());
    JsonNode primaryView = awaitActive(primary);
    Client client = client();
    client.setUp(host(primaryView), port(primaryView));
    client.write(host(primaryView), port(primaryView), 1);

    // Trove's gates, before any replica exists.
    assertThat(action(primary, "promote_to_replica_source").status()).isEqualTo(400);
    assertThat(action(primary, "eject_replica_source").status()).isEqualTo(400);
    var withFlavor =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"bad\",\"replica_of\":\""
                + primary
                + "\",\"flavorRef\":\"1\"}}");
    assertThat(withFlavor.status()).isEqualTo(400);
    assertThat(withFlavor.raw()).contains("Cannot specify flavorRef when creating replicas.");

    // Two replicas through Trove's replica_count.
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"replica\",\"replica_of\":\""
                + primary
                + "\",\"replica_count\":2,\"replication\":{\"synchronous\":"
                + synchronous()
                + "}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    assertThat(created.body().at("/instance/replica_of/id").asText()).isEqualTo(primary);
    List<String> replicas = new ArrayList<>();
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              JsonNode shown = show(primary);
              assertThat(shown.path("replicas")).hasSize(2);
              replicas.clear();
              shown.path("replicas").forEach(r -> replicas.add(r.path("id").asText()));
            });
    for (String replica : replicas) {
      awaitActive(replica);
    }
    assertThat(coffer.delete(coffer.v1("/instances/" + primary)).raw())
        .contains("Detach replicas before deleting replica source.");
    var replicaOfReplica =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"r2\",\"replica_of\":\"" + replicas.get(0) + "\"}}");
    assertThat(replicaOfReplica.status()).isEqualTo(401);

    // A write on the primary is read on each replica; replicas refuse writes.
    client.write(host(primaryView), port(primaryView), 2);
    for (String replica : replicas) {
      JsonNode view = show(replica);
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(client.read(host(view), port(view))).contains(1L, 2L));
      assertThatWriteFails(client, view);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                JsonNode replication = show(replica).path("replication");
                assertThat(replication.path("role").asText()).isEqualTo("replica");
                assertThat(replication.path("connected").asBoolean()).isTrue();
                assertThat(replication.path("lag_seconds").isNumber()).isTrue();
              });
    }
    var metrics = coffer.get("/coffer/v1/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    for (String replica : replicas) {
      assertThat(metrics.raw())
          .contains("coffer_replication_lag_seconds{set=\"" + primary + "\",instance=\"" + replica)
          .contains("coffer_replication_connected{set=\"" + primary + "\",instance=\"" + replica);
    }
    JsonNode endpoint = show(primary).at("/replication/primary_endpoint");
    String endpointHost = endpoint.path("host").asText();
    int endpointPort = endpoint.path("port").asInt();
    assertThat(client.read(endpointHost, endpointPort)).contains(1L, 2L);

    // Switchover under a steady write load through the stable endpoint: nothing acknowledged lost.
    Writer writer = new Writer(client, endpointHost, endpointPort, 1000);
    writer.start();
    writer.awaitAcknowledged(20);
    String target = replicas.get(0);
    var promoted = action(target, "promote_to_replica_source");
    assertThat(promoted.status()).as(promoted.raw()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              assertThat(coffer.status(target)).hasValue("ACTIVE");
              assertThat(coffer.status(primary)).hasValue("ACTIVE");
              assertThat(show(primary).at("/replica_of/id").asText()).isEqualTo(target);
            });
    writer.awaitAcknowledgedAfterNow(20);
    writer.stop();
    JsonNode newPrimary = show(target);
    assertThat(client.read(host(newPrimary), port(newPrimary)))
        .as("every acknowledged write is on the new primary")
        .containsAll(writer.acknowledged);
    JsonNode oldPrimary = show(primary);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(client.read(host(oldPrimary), port(oldPrimary)))
                    .as("the old primary follows the new one")
                    .containsAll(writer.acknowledged));
    assertThatWriteFails(client, oldPrimary);
    System.out.printf(
        "[replication] %s switchover: %d writes acknowledged, 0 lost, longest write gap %d ms%n",
        datastore(), writer.acknowledged.size(), writer.longestGapMillis.get());

    // Automatic failover: SIGKILL the primary's agent and engine under load.
    var policy =
        coffer.put(
            coffer.v1("/instances/" + target + "/replication"),
            "{\"replication\":{\"auto_failover\":true,\"failover_after_seconds\":3}}");
    assertThat(policy.status()).as(policy.raw()).isEqualTo(200);
    Writer load = new Writer(client, endpointHost, endpointPort, 1_000_000);
    load.start();
    load.awaitAcknowledged(20);
    if (divergeBeforeFailover()) {
      pauseReplication(primary);
      pauseReplication(replicas.get(1));
      int before = load.acknowledged.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> load.acknowledged.size() >= before + 5);
    }
    long killedAt = System.nanoTime();
    killEverythingOf(target);
    // Writes already on their way when the processes died may still be acknowledged: the outage
    // starts with the first refused write and ends with the first acknowledged one after it.
    long outageStart =
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> load.firstFailureAfter(killedAt), Optional::isPresent)
            .orElseThrow();
    load.awaitAcknowledgedAfter(outageStart, 5, Duration.ofSeconds(60));
    double rtoSeconds = (load.firstAcknowledgedAfter(outageStart) - killedAt) / 1e9;
    load.stop();
    String survivor =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> coffer.get(coffer.v1("/instances/" + primary + "/replication")).body(),
                b -> !b.at("/replication/primary").asText().equals(target))
            .at("/replication/primary")
            .asText();
    JsonNode survivorView = show(survivor);
    Set<Long> onSurvivor = client.read(host(survivorView), port(survivorView));
    long lost = load.acknowledged.stream().filter(n -> !onSurvivor.contains(n)).count();
    System.out.printf(
        "[replication] %s failover after SIGKILL of primary engine and agent: RTO %.1f s,"
            + " %d acknowledged writes lost of %d (%s)%n",
        datastore(),
        rtoSeconds,
        lost,
        load.acknowledged.size(),
        synchronous() ? "synchronous" : "asynchronous");
    if (synchronous()) {
      assertThat(lost).as("synchronous replication loses no acknowledged write").isZero();
    }
    assertThat(rtoSeconds).as("a replica serves writes again").isLessThan(60);
    JsonNode events = coffer.get(coffer.v1("/instances/" + survivor + "/replication")).body();
    assertThat(events.at("/replication/events/0/kind").asText()).isIn("failover", "rejoin");

    // The killed primary comes back as a replica of the survivor and receives new writes.
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              JsonNode view = show(target);
              assertThat(view.at("/replica_of/id").asText()).isEqualTo(survivor);
              assertThat(view.at("/replication/pending_rejoin").asBoolean()).isFalse();
              assertThat(view.at("/replication/role").asText()).isEqualTo("replica");
            });
    if (divergeBeforeFailover()) {
      assertThat(lost).as("the old primary held writes the new one lacks").isPositive();
      assertThat(coffer.get(coffer.v1("/instances/" + survivor + "/replication")).raw())
          .contains("was rebuilt from a seed of the primary");
    }
    client.write(host(survivorView), port(survivorView), 5_000_000);
    JsonNode rejoined = show(target);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(client.read(host(rejoined), port(rejoined))).contains(5_000_000L));
    assertThatWriteFails(client, rejoined);

    // Detach: the rejoined instance becomes a standalone, writable instance.
    var detached =
        coffer.put(coffer.v1("/instances/" + target), "{\"instance\":{\"replica_of\":null}}");
    assertThat(detached.status()).as(detached.raw()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              assertThat(coffer.status(target)).hasValue("ACTIVE");
              assertThat(show(target).has("replica_of")).isFalse();
            });
    client.write(host(rejoined), port(rejoined), 6_000_000);
    assertThat(client.read(host(rejoined), port(rejoined))).contains(6_000_000L);
  }

  // ---- helpers ----

  String create(String name, String extra) {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + extra
                + "\"datastore\":{\"type\":\""
                + datastore()
                + "\"}}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().at("/instance/id").asText();
  }

  JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return show(id);
  }

  JsonNode show(String id) {
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  TestCoffer.Response action(String id, String action) {
    return coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"" + action + "\":{}}");
  }

  static String host(JsonNode instance) {
    return instance.at("/endpoint/host").asText();
  }

  static int port(JsonNode instance) {
    return instance.at("/endpoint/port").asInt();
  }

  static void assertThatWriteFails(Client client, JsonNode instance) {
    boolean refused;
    try {
      client.write(host(instance), port(instance), -System.nanoTime());
      refused = false;
    } catch (Exception e) {
      refused = true;
    }
    assertThat(refused).as("a replica refuses writes").isTrue();
  }

  /** SIGKILL for every process of the instance: its agent and its engine. */
  void killEverythingOf(String instanceId) throws IOException {
    List<Long> pids = processesOf(instanceId);
    assertThat(pids).as("processes of " + instanceId).isNotEmpty();
    pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  List<Long> processesOf(String instanceId) throws IOException {
    return TestCoffer.processesMentioning(
        coffer.home.resolve("instances").resolve(instanceId).toString());
  }

  /**
   * A client writing increasing numbers through one address as fast as it can, reconnecting after
   * each failure, and remembering which writes were acknowledged and when.
   */
  static final class Writer {
    final Set<Long> acknowledged = new ConcurrentSkipListSet<>();
    final AtomicLong longestGapMillis = new AtomicLong();
    private final Map<Long, Long> acknowledgedAt = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Long> failedAt = new ConcurrentSkipListSet<>();
    private final Client client;
    private final String host;
    private final int port;
    private final AtomicLong next;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Thread> thread = new AtomicReference<>();

    Writer(Client client, String host, int port, long first) {
      this.client = client;
      this.host = host;
      this.port = port;
      this.next = new AtomicLong(first);
    }

    void start() {
      Thread t =
          new Thread(
              () -> {
                long lastOk = System.nanoTime();
                while (running.get()) {
                  long n = next.getAndIncrement();
                  try {
                    client.write(host, port, n);
                    long now = System.nanoTime();
                    acknowledged.add(n);
                    acknowledgedAt.put(n, now);
                    longestGapMillis.accumulateAndGet((now - lastOk) / 1_000_000, Math::max);
                    lastOk = now;
                  } catch (Exception e) {
                    failedAt.add(System.nanoTime());
                    try {
                      Thread.sleep(20);
                    } catch (InterruptedException stop) {
                      return;
                    }
                  }
                }
              },
              "writer");
      thread.set(t);
      t.start();
    }

    void awaitAcknowledged(int count) {
      await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= count);
    }

    void awaitAcknowledgedAfterNow(int count) {
      awaitAcknowledgedAfter(System.nanoTime(), count, Duration.ofSeconds(30));
    }

    void awaitAcknowledgedAfter(long nanos, int count, Duration atMost) {
      await()
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> acknowledgedAt.values().stream().filter(t -> t > nanos).count() >= count);
    }

    Optional<Long> firstFailureAfter(long nanos) {
      return failedAt.stream().filter(t -> t > nanos).min(Long::compare);
    }

    long firstAcknowledgedAfter(long nanos) {
      return acknowledgedAt.values().stream()
          .filter(t -> t > nanos)
          .min(Long::compare)
          .orElseThrow();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.get().join(10_000);
    }
  }
}

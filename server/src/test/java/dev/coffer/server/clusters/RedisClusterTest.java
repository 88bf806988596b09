package dev.coffer.server.clusters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;

/**
 * Redis Cluster through Trove's cluster API, with real engines and Jedis' cluster client: create,
 * users on every member, grow and shrink without losing a key, members hidden from the instance
 * list, delete leaving nothing behind, and Trove's validation faults.
 */
class RedisClusterTest {
  private static final JedisClientConfig APP =
      DefaultJedisClientConfig.builder()
          .user("app")
          .password("App-Secret-1")
          .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
          .build();
  private static final Duration BUILD = Duration.ofMinutes(3);

  private TestCoffer coffer;

  @BeforeEach
  void start() throws IOException {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.99"));
  }

  @AfterEach
  void stop() {
    coffer.close();
  }

  @Test
  void aRedisClusterServesKeysAcrossGrowAndShrinkAndLeavesNothingWhenDeleted() throws Exception {
    var created = coffer.post(coffer.v1("/clusters"), clusterBody("cl1", "redis", 3, "1"));
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/cluster/id").asText();
    assertThat(created.body().at("/cluster/task/name").asText()).isEqualTo("BUILDING");
    assertThat(created.body().at("/cluster/instances")).hasSize(3);
    assertThat(created.body().at("/cluster/instances/0/name").asText()).isEqualTo("cl1-member-1");
    // Trove's gate while it builds.
    var early = coffer.post(coffer.v1("/clusters/" + id), "{\"grow\":[{\"flavorRef\":\"1\"}]}");
    assertThat(early.status()).isEqualTo(422);
    assertThat(early.raw())
        .contains(
            "This action cannot be performed on the cluster while the current cluster task is 'BUILDING'.");

    JsonNode cluster = awaitIdle(id, 3);
    List<String> members = ids(cluster);

    // Members are instances, hidden from the list unless include_clustered.
    assertThat(listedIds("False")).doesNotContainAnyElementsOf(members);
    assertThat(listedIds("True")).containsAll(members);
    var member = coffer.get(coffer.v1("/instances/" + members.get(0)));
    assertThat(member.body().at("/instance/cluster_id").asText()).isEqualTo(id);
    var refused = coffer.delete(coffer.v1("/instances/" + members.get(0)));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.raw())
        .contains("Operation not supported for instances that are part of a cluster.");

    // A user created on one member exists on every member (Redis' ACLs are per node).
    var user =
        coffer.post(
            coffer.v1("/instances/" + members.get(1) + "/users"),
            "{\"users\":[{\"name\":\"app\",\"password\":\"App-Secret-1\"}]}");
    assertThat(user.status()).as(user.raw()).isEqualTo(202);
    try (JedisCluster client = client(cluster)) {
      for (int i = 0; i < 1000; i++) {
        client.set("key-" + i, "value-" + i);
      }
    }
    assertAllKeys(cluster);

    // Grow by one master: it takes a share of the slots, every key stays readable.
    var grow =
        coffer.post(
            coffer.v1("/clusters/" + id),
            "{\"grow\":[{\"flavorRef\":\"1\",\"volume\":{\"size\":1}}]}");
    assertThat(grow.status()).as(grow.raw()).isEqualTo(202);
    assertThat(grow.body().at("/cluster/task/name").asText()).isEqualTo("GROWING_CLUSTER");
    cluster = awaitIdle(id, 4);
    String added =
        ids(cluster).stream().filter(m -> !members.contains(m)).findFirst().orElseThrow();
    JsonNode addedView = memberView(cluster, added);
    try (Jedis jedis = new Jedis(endpoint(addedView), APP)) {
      assertThat(jedis.dbSize()).isGreaterThan(0);
    }
    assertAllKeys(cluster);

    // Shrink validation, then shrink the new master away.
    var below =
        coffer.post(
            coffer.v1("/clusters/" + id),
            "{\"shrink\":[{\"id\":\"" + members.get(0) + "\"},{\"id\":\"" + added + "\"}]}");
    assertThat(below.status()).isEqualTo(400);
    assertThat(below.raw()).contains("cannot safely be lowered below the current level");
    var shrink =
        coffer.post(coffer.v1("/clusters/" + id), "{\"shrink\":[{\"id\":\"" + added + "\"}]}");
    assertThat(shrink.status()).as(shrink.raw()).isEqualTo(202);
    cluster = awaitIdle(id, 3);
    assertThat(ids(cluster)).containsExactlyElementsOf(members);
    assertThat(coffer.get(coffer.v1("/instances/" + added)).status()).isEqualTo(404);
    assertAllKeys(cluster);

    // Delete: every member gone, processes and files too.
    assertThat(coffer.delete(coffer.v1("/clusters/" + id)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> coffer.get(coffer.v1("/clusters/" + id)).status() == 404);
    for (String m : members) {
      assertThat(coffer.get(coffer.v1("/instances/" + m)).status()).isEqualTo(404);
      assertThat(coffer.coffer.compute().isGone(m)).isTrue();
      assertThat(
              TestCoffer.processesMentioning(
                  coffer.home.resolve("instances").resolve(m).toString()))
          .isEmpty();
    }
    assertThat(coffer.get(coffer.v1("/clusters")).body().at("/clusters")).isEmpty();
  }

  @Test
  void clusterRequestsAreValidatedWithTrovesMessages() {
    var unsupported = coffer.post(coffer.v1("/clusters"), clusterBody("pg", "postgresql", 3, "1"));
    assertThat(unsupported.status()).isEqualTo(400);
    assertThat(unsupported.raw()).contains("Clusters not supported for postgresql-");

    var tooSmall = coffer.post(coffer.v1("/clusters"), clusterBody("small", "redis", 2, "1"));
    assertThat(tooSmall.status()).isEqualTo(400);
    assertThat(tooSmall.raw())
        .contains("The number of instances for your initial cluster must be at least 3.");

    var mixed =
        coffer.post(
            coffer.v1("/clusters"),
            "{\"cluster\":{\"name\":\"mixed\",\"datastore\":{\"type\":\"redis\"},\"instances\":["
                + "{\"flavorRef\":\"1\"},{\"flavorRef\":\"2\"},{\"flavorRef\":\"1\"}]}}");
    assertThat(mixed.status()).isEqualTo(400);
    assertThat(mixed.raw()).contains("The flavor for each instance in a cluster must be the same.");

    var noInstances =
        coffer.post(
            coffer.v1("/clusters"),
            "{\"cluster\":{\"name\":\"none\",\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(noInstances.status()).isEqualTo(400);
    assertThat(noInstances.raw()).contains("instances");

    var missing = coffer.get(coffer.v1("/clusters/nope"));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.raw()).contains("Cluster 'nope' cannot be found.");
    assertThat(coffer.post(coffer.v1("/clusters/nope"), "{\"grow\":[]}").status()).isEqualTo(404);
    // Nothing was created by the refused requests.
    assertThat(listedIds("True")).isEmpty();
  }

  private static String clusterBody(String name, String datastore, int count, String flavor) {
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      nodes.add("{\"flavorRef\":\"" + flavor + "\",\"volume\":{\"size\":\"1\"}}");
    }
    return "{\"cluster\":{\"name\":\""
        + name
        + "\",\"datastore\":{\"type\":\""
        + datastore
        + "\"},\"instances\":["
        + String.join(",", nodes)
        + "]}}";
  }

  /** The cluster once its task is NONE and its {@code size} members are ACTIVE. */
  private JsonNode awaitIdle(String id, int size) {
    return await()
        .atMost(BUILD)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> coffer.get(coffer.v1("/clusters/" + id)).body().path("cluster"),
            c -> {
              assertThat(c.path("fault").isMissingNode())
                  .as("cluster fault: %s", c.path("fault"))
                  .isTrue();
              return c.at("/task/name").asText().equals("NONE")
                  && c.path("instances").size() == size
                  && c.path("status").asText().equals("ACTIVE");
            });
  }

  private static List<String> ids(JsonNode cluster) {
    List<String> ids = new ArrayList<>();
    cluster.path("instances").forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }

  private static JsonNode memberView(JsonNode cluster, String id) {
    for (JsonNode i : cluster.path("instances")) {
      if (i.path("id").asText().equals(id)) {
        return i;
      }
    }
    throw new AssertionError("no member " + id);
  }

  private static HostAndPort endpoint(JsonNode member) {
    return new HostAndPort(
        member.at("/endpoint/host").asText(), member.at("/endpoint/port").asInt());
  }

  private Set<String> listedIds(String includeClustered) {
    Set<String> ids = new HashSet<>();
    coffer
        .get(coffer.v1("/instances?include_clustered=" + includeClustered))
        .body()
        .path("instances")
        .forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }

  private static JedisCluster client(JsonNode cluster) {
    Set<HostAndPort> seeds = new HashSet<>();
    cluster.path("instances").forEach(i -> seeds.add(endpoint(i)));
    return new JedisCluster(seeds, APP);
  }

  private static void assertAllKeys(JsonNode cluster) {
    try (JedisCluster client = client(cluster)) {
      for (int i = 0; i < 1000; i++) {
        assertThat(client.get("key-" + i)).isEqualTo("value-" + i);
      }
    }
  }
}

package dev.coffer.agent.engines.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.UserSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;

/**
 * Redis Cluster between real redis-servers on their own loopback addresses, driven through the
 * agent's cluster calls in the order the control plane uses.
 */
class RedisClusterEngineTest {
  private static final RedisEngineFactory FACTORY = new RedisEngineFactory();
  private static final String SECRET = "cluster \"secret\" ünïcode";

  private final List<EngineFixture> members = new ArrayList<>();

  @AfterEach
  void removeMembers() throws IOException {
    for (EngineFixture member : members) {
      member.close();
    }
  }

  @Test
  void aClusterSpreadsSlotsGrowsByAMasterAndShrinksWithoutLosingKeys() throws IOException {
    for (int i = 0; i < 3; i++) {
      members.add(EngineFixture.create(FACTORY, 256));
    }
    List<ClusterMember> three = members.stream().map(RedisClusterEngineTest::member).toList();
    for (EngineFixture m : members) {
      configureAndStart(m, three);
    }
    RedisEngine first = engine(members.get(0));
    first.formCluster(setup(three, members.get(0)));
    // ACL users are per node: created on each, as the control plane does.
    for (EngineFixture m : members) {
      m.engine().createUser(new UserSpec("app", "%", "App-Secret-1", List.of()));
    }
    assertThat(first.clusterStatus().healthy()).isTrue();
    assertThat(Files.readString(members.get(0).context().instanceDir().resolve("redis.conf")))
        .doesNotContain(SECRET);

    try (JedisCluster client = client(members.get(0))) {
      for (int i = 0; i < 1000; i++) {
        client.set("key-" + i, "value-" + i);
      }
    }
    assertThat(slotsOf(first.clusterStatus())).containsOnly(5461, 5462);

    // Grow by one master: it gets a fair share, keys move with their slots, users are copied.
    EngineFixture fourth = EngineFixture.create(FACTORY, 256);
    members.add(fourth);
    List<ClusterMember> four = new ArrayList<>(three);
    four.add(member(fourth));
    configureAndStart(fourth, four);
    first.membersAdded(setup(four, members.get(0)), List.of(member(fourth).instanceId()));
    assertThat(slotsOf(first.clusterStatus())).containsOnly(4096);
    assertAllKeys(fourth);

    // Shrink it away: its slots go back to the others first.
    engine(fourth).leaveCluster(setup(three, fourth));
    first.membersRemoved(setup(three, members.get(0)), List.of(member(fourth).instanceId()));
    ClusterStatus status = first.clusterStatus();
    assertThat(status.healthy()).isTrue();
    assertThat(slotsOf(status)).hasSize(3).allMatch(s -> s >= 5461 && s <= 5462);
    assertThat(status.details().get("known_nodes")).isEqualTo("3");
    assertAllKeys(members.get(1));
  }

  private static void assertAllKeys(EngineFixture entry) {
    try (JedisCluster client = client(entry)) {
      for (int i = 0; i < 1000; i++) {
        assertThat(client.get("key-" + i)).isEqualTo("value-" + i);
      }
    }
  }

  private static List<Integer> slotsOf(ClusterStatus status) {
    return status.details().values().stream()
        .filter(v -> v.startsWith("master slots="))
        .map(v -> Integer.parseInt(v.substring("master slots=".length())))
        .collect(Collectors.toList());
  }

  private static JedisCluster client(EngineFixture entry) {
    JedisClientConfig config =
        DefaultJedisClientConfig.builder()
            .user("app")
            .password("App-Secret-1")
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build();
    return new JedisCluster(Set.of(new HostAndPort(entry.address(), entry.port())), config);
  }

  /** The agent's CONFIGURE_CLUSTER (engine initialised and stopped) then PREPARE's start. */
  private static void configureAndStart(EngineFixture m, List<ClusterMember> all) {
    m.engine().initialize();
    m.engine().stop();
    engine(m).configureCluster(setup(all, m));
    m.engine().start();
  }

  private static RedisEngine engine(EngineFixture m) {
    return (RedisEngine) m.engine();
  }

  private static ClusterMember member(EngineFixture m) {
    return new ClusterMember(m.context().instanceId(), m.address(), m.port());
  }

  private static ClusterSetup setup(List<ClusterMember> all, EngineFixture self) {
    return new ClusterSetup(
        "c1", all, self.context().instanceId(), all.get(0).equals(member(self)), Map.of(), SECRET);
  }
}

package dev.coffer.agent.engines.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import dev.coffer.agent.engine.ClusterEngine;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.UserSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real ring of three Cassandra nodes on their own addresses, made through the ClusterEngine SPI
 * in the control plane's order, then grown to four and shrunk back, then one node crashes.
 */
class CassandraRingTest {
  private static final String SECRET = "ring-secret-" + System.nanoTime();
  private static final int ROWS = 300;

  private final String subnet = "127.97." + CassandraNode.randomSubnet() + ".";
  private final List<CassandraNode> nodes = new ArrayList<>();

  @AfterEach
  void removeEveryNode() throws Exception {
    for (CassandraNode node : nodes) {
      node.close();
    }
  }

  @Test
  void aThreeNodeRingServesQuorumThroughGrowthShrinkAndTheCrashOfANode() throws Exception {
    for (int i = 1; i <= 3; i++) {
      nodes.add(CassandraNode.create(subnet + i));
    }
    ClusterSetup three = setup(nodes, nodes.get(0));
    for (CassandraNode node : nodes) {
      node.engine().initialize();
      ring(node).configureCluster(setup(nodes, node));
    }
    for (CassandraNode node : nodes) {
      node.engine().start();
    }
    ring(nodes.get(0)).formCluster(three);
    ClusterStatus formed = ring(nodes.get(2)).clusterStatus();
    assertThat(formed.healthy()).isTrue();
    assertThat(formed.members()).hasSize(3);

    CassandraNode first = nodes.get(0);
    first.engine().createDatabase(DatabaseSpec.named("orders"));
    first.engine().createUser(new UserSpec("app", "%", "app-pass", List.of("orders")));
    try (CqlSession app = first.connect("app", "app-pass")) {
      app.execute("CREATE TABLE orders.lines (id int PRIMARY KEY, item text)");
      // Every coordinator must know the new table: a node that has not applied it yet says
      // "table does not exist" for a while after the driver saw the schema versions agree.
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                for (int attempt = 0; attempt < 12; attempt++) {
                  app.execute(quorum("SELECT count(*) FROM orders.lines"));
                }
              });
      for (int i = 0; i < ROWS; i++) {
        app.execute(quorum("INSERT INTO orders.lines (id, item) VALUES (" + i + ", 'x')"));
      }
      assertThat(
              app.execute(
                      quorum(
                          "SELECT replication FROM system_schema.keyspaces"
                              + " WHERE keyspace_name = 'orders'"))
                  .one()
                  .getMap(0, String.class, String.class))
          .containsEntry("replication_factor", "3");
    }

    // Grow to four: the new member bootstraps (streams its ranges), then leaves again.
    CassandraNode fourth = CassandraNode.create(subnet + "4");
    nodes.add(fourth);
    ClusterSetup four = setup(nodes, first);
    fourth.engine().initialize();
    ring(fourth).configureCluster(setup(nodes, fourth));
    fourth.engine().start();
    ring(first).membersAdded(four, List.of(fourth.context().instanceId()));
    assertThat(ring(first).clusterStatus().members()).hasSize(4);
    try (CqlSession app = fourth.connect("app", "app-pass")) {
      assertThat(count(app)).isEqualTo(ROWS);
    }
    ring(fourth).leaveCluster(setup(nodes, fourth));
    fourth.engine().stop();
    nodes.remove(fourth);
    fourth.close();
    ring(first).membersRemoved(setup(nodes, first), List.of(fourth.context().instanceId()));
    assertThat(ring(first).clusterStatus().healthy()).isTrue();

    // A crash of one replica out of three: QUORUM still reads and writes.
    // Until the failure detector marks it down (seconds), coordinators may still wait for it.
    nodes.get(2).kill();
    try (CqlSession app = first.connect("app", "app-pass")) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                app.execute(
                    quorum("INSERT INTO orders.lines (id, item) VALUES (" + ROWS + ", 'y')"));
                assertThat(count(app)).isEqualTo(ROWS + 1);
              });
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> !ring(first).clusterStatus().healthy());
  }

  private static long count(CqlSession session) {
    return session.execute(quorum("SELECT count(*) FROM orders.lines")).one().getLong(0);
  }

  private static SimpleStatement quorum(String cql) {
    return SimpleStatement.newInstance(cql).setConsistencyLevel(ConsistencyLevel.QUORUM);
  }

  private static ClusterEngine ring(CassandraNode node) {
    return (ClusterEngine) node.engine();
  }

  private static ClusterSetup setup(List<CassandraNode> members, CassandraNode self) {
    return new ClusterSetup(
        "ring-test",
        members.stream()
            .map(n -> new ClusterMember(n.context().instanceId(), n.address(), 9042))
            .toList(),
        self.context().instanceId(),
        self == members.get(0),
        Map.of(),
        SECRET);
  }
}

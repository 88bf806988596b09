package dev.coffer.server.clusters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A MariaDB Galera cluster of three through Trove's cluster API: a user and database created on one
 * member work on all, a write on any member is read on the others, and the cluster keeps taking
 * writes when one member's engine is killed; that member comes back with what it missed.
 */
class GaleraClusterApiTest {
  private TestCoffer coffer;
  private ClusterScenario clusters;

  @BeforeEach
  void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.103"));
    clusters = new ClusterScenario(coffer, Duration.ofMinutes(8));
  }

  @AfterEach
  void stop() {
    coffer.close();
  }

  @Test
  void aWriteOnAnyMemberReachesEveryMemberAndTheClusterSurvivesLosingOne() throws Exception {
    String id = clusters.create("galera", "mariadb", 3, "2");
    List<String> members = ClusterScenario.ids(clusters.awaitIdle(id, 3));
    String first = members.get(0);
    assertThat(
            coffer
                .post(
                    coffer.v1("/instances/" + first + "/databases"),
                    "{\"databases\":[{\"name\":\"shop\"}]}")
                .status())
        .isEqualTo(202);
    var user =
        coffer.post(
            coffer.v1("/instances/" + first + "/users"),
            "{\"users\":[{\"name\":\"app\",\"password\":\"App-Secret-1\","
                + "\"databases\":[{\"name\":\"shop\"}]}]}");
    assertThat(user.status()).as(user.raw()).isEqualTo(202);

    sql(members.get(0), "create table t (id int primary key, written_on varchar(40))");
    for (int i = 0; i < 3; i++) {
      sql(members.get(i), "insert into t values (" + i + ", '" + members.get(i) + "')");
    }
    for (String member : members) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(count(member)).isEqualTo(3));
    }

    // One member's engine dies: the other two keep a quorum and take writes.
    String lost = members.get(2);
    assertThat(clusters.killEngine(lost, "mariadbd")).isPositive();
    sql(members.get(0), "insert into t values (10, 'while one was down')");
    sql(members.get(1), "insert into t values (11, 'while one was down')");
    assertThat(count(members.get(1))).isEqualTo(5);
    // Its agent starts it again; it rejoins with the writes it missed.
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(count(lost)).isEqualTo(5));
    clusters.delete(id);
  }

  private void sql(String member, String statement) throws Exception {
    try (Connection c = connect(member);
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private int count(String member) throws Exception {
    try (Connection c = connect(member);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from t")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private Connection connect(String member) throws Exception {
    JsonNode view = clusters.member(member);
    return DriverManager.getConnection(
        TestCoffer.jdbcUrl("mariadb", view, "shop") + "?connectTimeout=3000",
        "app",
        "App-Secret-1");
  }
}

package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/**
 * End to end over real HTTP: each engine is created through the API, used with its own driver as
 * the user Coffer created, managed, restarted and deleted, and leaves nothing behind.
 */
class InstanceLifecycleTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static String create(String name, String datastore, boolean withDatabases) {
    String databases =
        withDatabases ? "\"databases\":[{\"name\":\"appdb\"},{\"name\":\"other\"}]," : "";
    String grants = withDatabases ? ",\"databases\":[{\"name\":\"appdb\"}]" : "";
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"datastore\":{\"type\":\""
                + datastore
                + "\"},"
                + databases
                + "\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\""
                + grants
                + "}]}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    assertThat(r.body().at("/instance/status").asText()).isEqualTo("BUILD");
    return r.body().at("/instance/id").asText();
  }

  static JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  static void deleteAndVerifyNothingRemains(String id, String host, int port) {
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    await().atMost(Duration.ofMinutes(1)).until(() -> coffer.status(id).isEmpty());
    assertThat(coffer.coffer.compute().isGone(id)).isTrue();
    assertThat(Files.exists(coffer.home.resolve("instances").resolve(id))).isFalse();
    assertThat(listening(host, port)).as("port %s:%d still open", host, port).isFalse();
  }

  static boolean listening(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mariadb", "postgresql"})
  void aSqlInstanceServesOnlyWhatItsUsersWereGranted(String datastore) throws Exception {
    String id = create("sql-" + datastore, datastore, true);
    JsonNode instance = awaitActive(id);
    String host = instance.at("/endpoint/host").asText();
    int port = instance.at("/endpoint/port").asInt();
    assertThat(instance.at("/ip/0").asText()).isEqualTo(host).startsWith("127.");
    assertThat(instance.path("operating_status").asText()).isEqualTo("HEALTHY");
    String prefix = datastore.equals("mariadb") ? "jdbc:mariadb://" : "jdbc:postgresql://";
    String url = prefix + host + ":" + port + "/";

    try (Connection c = DriverManager.getConnection(url + "appdb", "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key, v varchar(20))");
      s.execute("insert into t values (1, 'kept')");
      try (ResultSet rs = s.executeQuery("select v from t where id = 1")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("kept");
      }
    }
    assertThatThrownBy(() -> DriverManager.getConnection(url + "other", "app", "Secret-1").close())
        .isInstanceOf(SQLException.class);
    assertThatThrownBy(
            () -> DriverManager.getConnection(url + "appdb", "app", "wrong-password").close())
        .isInstanceOf(SQLException.class);

    // Users and databases through the API.
    assertThat(
            names(
                coffer.get(coffer.v1("/instances/" + id + "/databases")).body().path("databases")))
        .contains("appdb", "other");
    assertThat(
            coffer
                .post(
                    coffer.v1("/instances/" + id + "/databases"),
                    "{\"databases\":[{\"name\":\"sales\"}]}")
                .status())
        .isEqualTo(202);
    assertThat(
            coffer
                .post(
                    coffer.v1("/instances/" + id + "/databases"),
                    "{\"databases\":[{\"name\":\"sales\"}]}")
                .status())
        .isEqualTo(409);
    var bob =
        coffer.post(
            coffer.v1("/instances/" + id + "/users"),
            "{\"users\":[{\"name\":\"bob\",\"password\":\"Bob-pass-1\",\"databases\":[{\"name\":\"sales\"}]}]}");
    assertThat(bob.status()).as(bob.raw()).isEqualTo(202);
    try (Connection c = DriverManager.getConnection(url + "sales", "bob", "Bob-pass-1")) {
      assertThat(c.isValid(2)).isTrue();
    }
    assertThat(names(coffer.get(coffer.v1("/instances/" + id + "/users")).body().path("users")))
        .contains("app", "bob");
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id + "/users/bob"))
                .body()
                .at("/user/databases/0/name")
                .asText())
        .isEqualTo("sales");
    assertThat(
            coffer
                .put(
                    coffer.v1("/instances/" + id + "/users/bob/databases"),
                    "{\"databases\":[{\"name\":\"other\"}]}")
                .status())
        .isEqualTo(202);
    assertThat(
            names(
                coffer
                    .get(coffer.v1("/instances/" + id + "/users/bob/databases"))
                    .body()
                    .path("databases")))
        .contains("sales", "other");
    assertThat(coffer.delete(coffer.v1("/instances/" + id + "/users/bob/databases/other")).status())
        .isEqualTo(202);
    assertThatThrownBy(
            () -> DriverManager.getConnection(url + "other", "bob", "Bob-pass-1").close())
        .isInstanceOf(SQLException.class);
    assertThat(
            coffer
                .put(
                    coffer.v1("/instances/" + id + "/users/bob"),
                    "{\"user\":{\"password\":\"Bob-pass-2\"}}")
                .status())
        .isEqualTo(202);
    assertThatThrownBy(
            () -> DriverManager.getConnection(url + "sales", "bob", "Bob-pass-1").close())
        .isInstanceOf(SQLException.class);
    DriverManager.getConnection(url + "sales", "bob", "Bob-pass-2").close();
    assertThat(coffer.delete(coffer.v1("/instances/" + id + "/users/bob")).status()).isEqualTo(202);
    assertThat(coffer.get(coffer.v1("/instances/" + id + "/users/bob")).status()).isEqualTo(404);
    assertThat(coffer.delete(coffer.v1("/instances/" + id + "/databases/sales")).status())
        .isEqualTo(202);

    // Root.
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id + "/root"))
                .body()
                .path("rootEnabled")
                .asBoolean())
        .isFalse();
    var root = coffer.post(coffer.v1("/instances/" + id + "/root"), null);
    assertThat(root.status()).isEqualTo(200);
    String rootName = root.body().at("/user/name").asText();
    String rootPassword = root.body().at("/user/password").asText();
    DriverManager.getConnection(
            url + (datastore.equals("mariadb") ? "" : "postgres"), rootName, rootPassword)
        .close();
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id + "/root"))
                .body()
                .path("rootEnabled")
                .asBoolean())
        .isTrue();
    assertThat(coffer.delete(coffer.v1("/instances/" + id + "/root")).status()).isEqualTo(204);

    // Restart keeps the data.
    assertThat(coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"restart\":{}}").status())
        .isEqualTo(202);
    awaitActive(id);
    try (Connection c = DriverManager.getConnection(url + "appdb", "app", "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from t")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }

    deleteAndVerifyNothingRemains(id, host, port);
  }

  @Test
  void aRedisInstanceServesItsAclUsersAndRecoversWhenTheEngineDies() throws Exception {
    String id = create("cache", "redis", false);
    JsonNode instance = awaitActive(id);
    String host = instance.at("/endpoint/host").asText();
    int port = instance.at("/endpoint/port").asInt();
    try (Jedis jedis = new Jedis(host, port)) {
      jedis.auth("app", "Secret-1");
      jedis.set("k", "v");
      assertThat(jedis.get("k")).isEqualTo("v");
      assertThatThrownBy(() -> jedis.configGet("maxmemory")).hasMessageContaining("NOPERM");
    }
    try (Jedis jedis = new Jedis(host, port)) {
      assertThatThrownBy(() -> jedis.auth("app", "wrong")).hasMessageContaining("WRONGPASS");
    }
    assertThat(instance.at("/volume/size").asInt()).isEqualTo(1);
    assertThat(instance.at("/volume/used").isNumber()).isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> coffer.coffer.instances().find(id).orElseThrow().volumeUsedBytes() != null);
    assertThat(coffer.coffer.instances().find(id).orElseThrow().volumeUsedBytes()).isPositive();

    // The agent dies: the control plane starts a new one, which adopts the running engine.
    long agentPid =
        Long.parseLong(
            Files.readString(coffer.home.resolve("instances").resolve(id).resolve("agent.pid"))
                .strip());
    java.time.Instant killedAt = java.time.Instant.now();
    ProcessHandle.of(agentPid).orElseThrow().destroyForcibly();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                coffer.coffer.instances().find(id).orElseThrow().heartbeatAt().isAfter(killedAt)
                    && coffer.coffer.compute().isAgentRunning(id));
    assertThat(coffer.status(id)).hasValue("ACTIVE");
    // The dead agent's long-poll may still be open on the server: a command issued now must reach
    // the new agent, not the dead connection.
    var users = coffer.get(coffer.v1("/instances/" + id + "/users"));
    assertThat(users.status()).as(users.raw()).isEqualTo(200);
    assertThat(users.raw()).contains("\"app\"");

    var databases = coffer.get(coffer.v1("/instances/" + id + "/databases"));
    assertThat(databases.status()).isEqualTo(400);
    assertThat(databases.body().at("/badRequest/message").asText())
        .isEqualTo("The 'database' operation is not supported for the 'redis' datastore.");

    // The engine dies: the instance shows SHUTDOWN, then the agent brings it back.
    long pid = enginePid(id);
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("SHUTDOWN"));
    awaitActive(id);
    try (Jedis jedis = new Jedis(host, port)) {
      jedis.auth("app", "Secret-1");
      assertThat(jedis.get("k")).isEqualTo("v");
    }
    deleteAndVerifyNothingRemains(id, host, port);
  }

  static long enginePid(String id) throws Exception {
    Path run = coffer.home.resolve("instances").resolve(id).resolve("run");
    try (Stream<Path> files = Files.list(run)) {
      Optional<Path> pidFile = files.filter(p -> p.toString().endsWith(".pid")).findFirst();
      return Long.parseLong(Files.readString(pidFile.orElseThrow()).strip());
    }
  }

  static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.path("name").asText()));
    return names;
  }
}

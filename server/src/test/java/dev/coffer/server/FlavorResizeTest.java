package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Trove's flavor resize: the engine restarts with the memory settings of the new flavor (read back
 * from the engine itself), every row stays, the instance shows RESIZE meanwhile; an engine that
 * dies while starting on the new flavor is started again on the old one and the instance ends
 * ACTIVE there with a fault message.
 */
class FlavorResizeTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.95"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void mariaDbGetsTheBufferPoolOfTheNewFlavorAndKeepsEveryRow() throws Exception {
    JsonNode instance = coffer.createShop("maria-resize", "mariadb", "1", "");
    String id = instance.path("id").asText();
    String url = TestCoffer.jdbcUrl("mariadb", instance, "shop");
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key)");
      s.execute("insert into t values (1), (2), (3)");
    }
    assertThat(sqlValue(url, "select @@innodb_buffer_pool_size")).isEqualTo(128L << 20);

    var same = action(id, "{\"resize\":{\"flavorRef\":\"1\"}}");
    assertThat(same.status()).isEqualTo(400);
    assertThat(same.raw())
        .contains("The new flavor id must be different than the current flavor id of '1'.");
    var unknown = action(id, "{\"resize\":{\"flavorRef\":\"m9.huge\"}}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.raw()).contains("m9.huge");

    var resize = action(id, "{\"resize\":{\"flavorRef\":\"m1.medium\"}}");
    assertThat(resize.status()).as(resize.raw()).isEqualTo(202);
    assertThat(coffer.status(id)).hasValueSatisfying(s -> assertThat(s).isIn("RESIZE", "ACTIVE"));
    JsonNode resized = awaitActive(id);
    assertThat(resized.at("/flavor/id").asText()).isEqualTo("3");
    assertThat(resized.has("fault")).as(resized.toString()).isFalse();
    assertThat(sqlValue(url, "select @@innodb_buffer_pool_size")).isEqualTo(512L << 20);
    assertThat(sqlValue(url, "select count(*) from t")).isEqualTo(3);
    delete(id);
  }

  /**
   * The test plays the host's OOM killer: every MariaDB server of the instance that starts while
   * the instance is on the new flavor is killed before it can serve.
   */
  @Test
  void anEngineThatDiesOnTheNewFlavorRunsAgainOnTheOldOneWithAFault() throws Exception {
    JsonNode instance = coffer.createShop("maria-rollback", "mariadb", "2", "");
    String id = instance.path("id").asText();
    String url = TestCoffer.jdbcUrl("mariadb", instance, "shop");
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key)");
      s.execute("insert into t values (1), (2)");
    }
    String dir = coffer.home.resolve("instances").resolve(id).toString();
    Set<Long> before = Set.copyOf(mariadbd(dir));
    Set<Long> killed = ConcurrentHashMap.newKeySet();
    AtomicBoolean done = new AtomicBoolean();
    Thread killer =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  boolean onNewFlavor =
                      coffer
                          .get(coffer.v1("/instances/" + id))
                          .body()
                          .at("/instance/flavor/id")
                          .asText()
                          .equals("4");
                  if (onNewFlavor) {
                    for (long pid : mariadbd(dir)) {
                      if (!before.contains(pid)) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                        killed.add(pid);
                      }
                    }
                  }
                  Thread.sleep(5);
                } catch (Exception e) {
                  // the next round looks again
                }
              }
            });
    killer.start();
    try {
      assertThat(action(id, "{\"resize\":{\"flavorRef\":\"4\"}}").status()).isEqualTo(202);
      JsonNode after = awaitActive(id);
      assertThat(killed).as("the test killed the engine on the new flavor").isNotEmpty();
      assertThat(after.at("/flavor/id").asText()).isEqualTo("2");
      assertThat(after.at("/fault/message").asText())
          .startsWith("Resize to flavor 4 failed: ")
          .contains("the instance runs on its previous flavor 2");
    } finally {
      done.set(true);
      killer.join();
    }
    assertThat(sqlValue(url, "select @@innodb_buffer_pool_size")).isEqualTo(256L << 20);
    assertThat(sqlValue(url, "select count(*) from t")).isEqualTo(2);
    delete(id);
  }

  @Test
  void postgresGetsTheSharedBuffersOfTheNewFlavor() throws Exception {
    JsonNode instance = coffer.createShop("pg-resize", "postgresql", "2", "");
    String id = instance.path("id").asText();
    String url = TestCoffer.jdbcUrl("postgresql", instance, "shop");
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key)");
      s.execute("insert into t values (1), (2), (3), (4)");
    }
    assertThat(sqlText(url, "show shared_buffers")).isEqualTo("128MB");
    assertThat(action(id, "{\"resize\":{\"flavorRef\":\"3\"}}").status()).isEqualTo(202);
    JsonNode resized = awaitActive(id);
    assertThat(resized.at("/flavor/id").asText()).isEqualTo("3");
    assertThat(sqlText(url, "show shared_buffers")).isEqualTo("256MB");
    assertThat(sqlValue(url, "select count(*) from t")).isEqualTo(4);
    delete(id);
  }

  @Test
  void redisGetsTheMaxmemoryOfTheNewFlavor() throws Exception {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"redis-resize\",\"flavorRef\":\"2\",\"volume\":{\"size\":1},"
                + "\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    JsonNode instance = awaitActive(id);
    String root =
        coffer
            .post(coffer.v1("/instances/" + id + "/root"), "{}")
            .body()
            .at("/user/password")
            .asText();
    try (Jedis jedis = redis(instance, root)) {
      jedis.set("kept", "yes");
      assertThat(jedis.configGet("maxmemory").get("maxmemory"))
          .isEqualTo(Long.toString(384L << 20));
    }
    assertThat(action(id, "{\"resize\":{\"flavorRef\":\"3\"}}").status()).isEqualTo(202);
    awaitActive(id);
    try (Jedis jedis = redis(instance, root)) {
      assertThat(jedis.configGet("maxmemory").get("maxmemory"))
          .isEqualTo(Long.toString(768L << 20));
      assertThat(jedis.get("kept")).isEqualTo("yes");
    }
    delete(id);
  }

  private static Jedis redis(JsonNode instance, String rootPassword) {
    return new Jedis(
        new HostAndPort(
            instance.at("/endpoint/host").asText(), instance.at("/endpoint/port").asInt()),
        DefaultJedisClientConfig.builder().user("root").password(rootPassword).build());
  }

  private static long sqlValue(String url, String query) throws Exception {
    return Long.parseLong(sqlText(url, query));
  }

  private static String sqlText(String url, String query) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The instance's MariaDB servers (not its agent, which mentions the same directory). */
  private static java.util.List<Long> mariadbd(String dir) throws Exception {
    return TestCoffer.processesMentioning(dir).stream()
        .filter(
            pid -> {
              try {
                return Files.readString(Path.of("/proc", pid.toString(), "comm"))
                    .strip()
                    .equals("mariadbd");
              } catch (Exception gone) {
                return false;
              }
            })
        .toList();
  }

  private static TestCoffer.Response action(String id, String body) {
    return coffer.post(coffer.v1("/instances/" + id + "/action"), body);
  }

  private static void delete(String id) {
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    await().atMost(Duration.ofMinutes(2)).until(() -> coffer.status(id).isEmpty());
  }

  private static JsonNode awaitActive(String id) {
    return coffer.awaitStatus(id, "ACTIVE");
  }
}

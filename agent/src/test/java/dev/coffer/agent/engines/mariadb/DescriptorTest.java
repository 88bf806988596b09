package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the control plane learns about the MySQL family without knowing its syntax. */
class DescriptorTest {
  private final DatastoreDescriptor mariaDb = new MariaDbEngineFactory().descriptor();
  private final DatastoreDescriptor mySql = new MySqlEngineFactory().descriptor();

  private static final List<String> INJECTIONS =
      List.of(
          "x`; DROP DATABASE mysql; --",
          "a'b",
          "a\"b",
          "a b",
          "a;b",
          "a/b",
          "a\\b",
          "a@b",
          "-leading",
          "$leading",
          "");

  @Test
  void bothDatastoresAreRegistered() {
    EngineCatalog catalog = EngineCatalog.load();
    assertThat(catalog.factory("mariadb")).isPresent();
    assertThat(catalog.factory("mysql")).isPresent();
  }

  @Test
  void mariaDbDeclaresUsersDatabasesHostsRootAndBackups() {
    assertThat(mariaDb.name()).isEqualTo("mariadb");
    assertThat(mariaDb.defaultPort()).isEqualTo(3306);
    assertThat(mariaDb.capabilities())
        .containsExactlyInAnyOrder(
            Capability.DATABASES,
            Capability.USERS,
            Capability.USER_ACCESS,
            Capability.USER_HOSTS,
            Capability.ROOT,
            Capability.BACKUP,
            Capability.INCREMENTAL_BACKUP,
            Capability.POINT_IN_TIME_RECOVERY,
            Capability.REPLICATION,
            Capability.CONFIGURATION,
            Capability.CLUSTERS);
    assertThat(mariaDb.reservedUsers())
        .containsExactlyInAnyOrder("os_admin", "os_repl", "os_sst", "root", "mariadb.sys");
    assertThat(mariaDb.reservedDatabases())
        .containsExactlyInAnyOrder("mysql", "information_schema", "performance_schema", "sys");
    assertThat(mariaDb.rootUser()).isEqualTo("root");
    assertThat(mariaDb.clientHint()).isEqualTo("mariadb -h {host} -P {port} -u {user} -p");
  }

  @Test
  void namesThatCouldChangeAStatementAreRefused() {
    for (DatastoreDescriptor d : List.of(mariaDb, mySql)) {
      for (String name : INJECTIONS) {
        assertThat(d.databaseNames().violation(name)).as("database %s", name).isPresent();
        assertThat(d.userNames().violation(name)).as("user %s", name).isPresent();
      }
    }
  }

  @Test
  void ordinaryNamesAreAccepted() {
    for (String name : List.of("shop", "app_one", "app-2", "Orders2024", "_tmp", "a$b")) {
      assertThat(mariaDb.databaseNames().violation(name)).as(name).isEmpty();
    }
    for (String name : List.of("alice", "app.reader", "svc-orders", "x")) {
      assertThat(mariaDb.userNames().violation(name)).as(name).isEmpty();
    }
  }

  @Test
  void lengthsFollowTheServers() {
    assertThat(mariaDb.databaseNames().violation("d".repeat(64))).isEmpty();
    assertThat(mariaDb.databaseNames().violation("d".repeat(65))).isPresent();
    assertThat(mariaDb.userNames().violation("u".repeat(80))).isEmpty();
    assertThat(mariaDb.userNames().violation("u".repeat(81))).isPresent();
    assertThat(mySql.userNames().violation("u".repeat(32))).isEmpty();
    assertThat(mySql.userNames().violation("u".repeat(33))).isPresent();
  }
}

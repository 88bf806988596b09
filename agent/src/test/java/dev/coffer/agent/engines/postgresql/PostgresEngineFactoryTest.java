package dev.coffer.agent.engines.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresEngineFactoryTest {
  private final PostgresEngineFactory factory = new PostgresEngineFactory();
  private final DatastoreDescriptor descriptor = factory.descriptor();

  @Test
  void isRegisteredInTheCatalog() {
    assertThat(EngineCatalog.load().factory("postgresql"))
        .containsInstanceOf(PostgresEngineFactory.class);
  }

  @Test
  void declaresPostgresqlWithoutUserHosts() {
    assertThat(descriptor.name()).isEqualTo("postgresql");
    assertThat(descriptor.defaultPort()).isEqualTo(5432);
    assertThat(descriptor.capabilities())
        .containsExactlyInAnyOrder(
            Capability.DATABASES,
            Capability.USERS,
            Capability.USER_ACCESS,
            Capability.ROOT,
            Capability.BACKUP,
            Capability.POINT_IN_TIME_RECOVERY,
            Capability.REPLICATION,
            Capability.CONFIGURATION);
    assertThat(descriptor.reservedUsers())
        .containsExactlyInAnyOrder("os_admin", "os_repl", "postgres");
    assertThat(descriptor.reservedDatabases())
        .containsExactlyInAnyOrder("postgres", "template0", "template1");
    assertThat(descriptor.rootUser()).isEqualTo("postgres");
    assertThat(descriptor.clientHint()).contains("psql", "{host}", "{port}", "{user}");
  }

  @Test
  void namesThatCouldInjectSqlAreRefused() {
    List<String> hostile =
        List.of(
            "x\"; DROP ROLE os_admin; --",
            "x'; DROP DATABASE shop; --",
            "a b",
            "a;b",
            "a/b",
            "a\\b",
            "a\"b",
            "a'b",
            "a`b",
            "a\nb",
            "-leading",
            ".leading",
            "x".repeat(64));
    for (String name : hostile) {
      assertThat(descriptor.userNames().violation(name)).as("user %s", name).isPresent();
      assertThat(descriptor.databaseNames().violation(name)).as("database %s", name).isPresent();
    }
    assertThat(descriptor.userNames().violation("pg_monitor2")).isPresent();
    assertThat(descriptor.userNames().violation("public")).isPresent();
    assertThat(descriptor.userNames().violation("none")).isPresent();
    assertThat(descriptor.userNames().violation("access:shop")).isPresent();
  }

  @Test
  void ordinaryNamesAreAccepted() {
    for (String name : List.of("app", "App_User-1.x", "_x", "9lives", "x".repeat(63))) {
      assertThat(descriptor.userNames().violation(name)).as("user %s", name).isEmpty();
      assertThat(descriptor.databaseNames().violation(name)).as("database %s", name).isEmpty();
    }
  }

  @Test
  void discoversTheInstalledServerWithItsTools() {
    List<InstalledVersion> versions = factory.discover();
    assertThat(versions).isNotEmpty();
    InstalledVersion newest = versions.get(versions.size() - 1);
    assertThat(newest.datastore()).isEqualTo("postgresql");
    assertThat(newest.version()).matches("\\d+");
    assertThat(newest.fullVersion()).startsWith(newest.version() + ".");
    assertThat(newest.binaries())
        .containsOnlyKeys(
            "server",
            "initdb",
            "pg_ctl",
            "pg_basebackup",
            "pg_waldump",
            "pg_rewind",
            "psql",
            "pg_upgrade");
    newest
        .binaries()
        .values()
        .forEach(path -> assertThat(Files.isExecutable(Path.of(path))).isTrue());
  }

  @Test
  void readsTheVersionFromTheServersOwnOutput() {
    assertThat(
            PostgresEngineFactory.parseVersion(
                "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"))
        .contains(new PostgresEngineFactory.ParsedVersion("15", "15.18"));
    assertThat(PostgresEngineFactory.parseVersion("postgres (PostgreSQL) 9.6.24"))
        .contains(new PostgresEngineFactory.ParsedVersion("9.6", "9.6.24"));
    assertThat(PostgresEngineFactory.parseVersion("nonsense")).isEmpty();
  }

  @Test
  void memorySettingsFollowTheFlavorWithFloors() {
    assertThat(PostgresConfig.Memory.forFlavor(256))
        .isEqualTo(new PostgresConfig.Memory(64, 192, 4, 16));
    assertThat(PostgresConfig.Memory.forFlavor(4096))
        .isEqualTo(new PostgresConfig.Memory(1024, 3072, 64, 256));
    assertThat(PostgresConfig.Memory.forFlavor(0))
        .isEqualTo(new PostgresConfig.Memory(32, 96, 2, 16));
  }

  @Test
  void accessGroupNamesFitPostgresLimitsAndNeverLookLikeUsers() {
    assertThat(PostgresEngine.accessGroup("shop")).isEqualTo("access:shop");
    String longName = "d".repeat(63);
    assertThat(PostgresEngine.accessGroup(longName))
        .hasSizeLessThanOrEqualTo(63)
        .startsWith("access:");
    assertThat(PostgresEngine.accessGroup(longName))
        .isNotEqualTo(PostgresEngine.accessGroup("e".repeat(63)));
    assertThat(descriptor.userNames().violation(PostgresEngine.accessGroup(longName))).isPresent();
  }

  @Test
  void identifiersAndLiteralsAreQuoted() {
    assertThat(PostgresEngine.ident("a\"b")).isEqualTo("\"a\"\"b\"");
    assertThat(PostgresEngine.literal("it's")).isEqualTo("'it''s'");
    assertThat(PostgresConfig.literal("/x/it's")).isEqualTo("'/x/it''s'");
  }
}

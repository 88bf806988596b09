package dev.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coffer.server.Coffer;
import dev.coffer.server.ServerConfig;
import dev.coffer.server.identity.IdentityService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end against a real control plane, agent and Redis engine. */
class CliAgainstRealServerTest {
  static Coffer coffer;
  static IdentityService.BootstrapCredentials admin;
  static Path home;

  @BeforeAll
  static void start() throws Exception {
    Path base = Path.of("/tmp/coffer-it");
    Files.createDirectories(base);
    home = Files.createTempDirectory(base, "cli");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    coffer =
        Coffer.start(
            ServerConfig.fromEnvironment(
                    Map.of(
                        "COFFER_HOME", home.toString(),
                        "COFFER_ADDRESS_POOL", "127.80",
                        "COFFER_AGENT_JAR", System.getProperty("coffer.agent.jar")))
                .withPort(0));
    admin = coffer.identity().bootstrap().orElseThrow();
  }

  @AfterAll
  static void stop() throws Exception {
    for (String id : coffer.compute().presentInstances()) {
      coffer.compute().destroy(id);
    }
    coffer.close();
    try (var paths = Files.walk(home)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void anOperatorLogsInCreatesAnInstanceManagesUsersBacksItUpRestoresTheBackupAndDeletesAll(
      @TempDir Path config) {
    CliRunner cli = new CliRunner(config.resolve("config.json"));
    cli.env.put("COFFER_PASSWORD", admin.password());
    var login = cli.run("login", "--url", coffer.apiUrl(), "--username", "admin");
    assertThat(login.exitCode()).as(login.err()).isZero();

    assertThat(cli.run("datastore", "list").out()).contains("mariadb", "postgresql", "redis");

    var token = cli.run("--format", "json", "token", "create", "--description", "ci-robot");
    assertThat(token.exitCode()).as(token.err()).isZero();
    String tokenId = token.out().replaceAll("(?s).*\"token_id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    assertThat(cli.run("token", "list").out()).contains(tokenId).contains("ci-robot");
    assertThat(cli.run("token", "revoke", tokenId).exitCode()).isZero();
    assertThat(cli.run("token", "list").out()).doesNotContain(tokenId);
    assertThat(cli.run("flavor", "list").out()).contains("m1.tiny");

    var created =
        cli.run(
            "instance",
            "create",
            "cache",
            "--datastore",
            "redis",
            "--flavor",
            "m1.tiny",
            "--size",
            "1",
            "--user",
            "app:Secret-1",
            "--wait",
            "--timeout",
            "180");
    assertThat(created.exitCode()).as(created.out() + created.err()).isZero();
    assertThat(created.out() + created.err()).contains("ACTIVE").contains("redis-cli");

    assertThat(cli.run("instance", "list").out()).contains("cache").contains("ACTIVE");
    assertThat(cli.run("user", "create", "cache", "bob", "--password", "Bob-pass-1").exitCode())
        .isZero();
    assertThat(cli.run("user", "list", "cache").out()).contains("bob").contains("app");
    var unsupported = cli.run("database", "create", "cache", "sales");
    assertThat(unsupported.exitCode()).isEqualTo(1);
    assertThat(unsupported.err()).contains("not supported for the 'redis' datastore");

    var strategy =
        cli.run("backup", "strategy", "set", "--instance", "cache", "--container", "cache-backups");
    assertThat(strategy.exitCode()).as(strategy.out() + strategy.err()).isZero();
    assertThat(cli.run("backup", "strategy", "list").out()).contains("cache-backups", "file");
    var backup = cli.run("backup", "create", "cache", "nightly", "--wait", "--timeout", "180");
    assertThat(backup.exitCode()).as(backup.out() + backup.err()).isZero();
    assertThat(backup.out())
        .contains("COMPLETED", "checksum", "size_bytes", "locationRef", "/cache-backups/");
    assertThat(cli.run("backup", "strategy", "delete", "--instance", "cache").exitCode()).isZero();
    assertThat(cli.run("backup", "strategy", "list").out()).doesNotContain("cache-backups");
    assertThat(cli.run("backup", "list", "--instance", "cache").out())
        .contains("nightly")
        .contains("COMPLETED");
    var scheduled =
        cli.run(
            "backup",
            "schedule",
            "set",
            "cache",
            "--cron",
            "0 3 * * *",
            "--keep-last",
            "3",
            "--verify");
    assertThat(scheduled.exitCode()).as(scheduled.out() + scheduled.err()).isZero();
    assertThat(cli.run("backup", "schedule", "show", "cache").out())
        .contains("0 3 * * *")
        .containsPattern("verify +true")
        .contains("next_run_at");
    assertThat(cli.run("backup", "schedule", "delete", "cache").exitCode()).isZero();
    var verified = cli.run("backup", "verify", "nightly", "--timeout", "180");
    assertThat(verified.exitCode()).as(verified.out() + verified.err()).isZero();
    assertThat(verified.out()).contains("consistent").contains("restore_seconds");

    var restored =
        cli.run(
            "instance",
            "create",
            "cache-copy",
            "--from-backup",
            "nightly",
            "--flavor",
            "m1.tiny",
            "--size",
            "1",
            "--wait",
            "--timeout",
            "180");
    assertThat(restored.exitCode()).as(restored.out() + restored.err()).isZero();
    assertThat(restored.out()).contains("ACTIVE").contains("redis");
    // The users came from the backup.
    assertThat(cli.run("user", "list", "cache-copy").out()).contains("bob").contains("app");

    var backupDeleted = cli.run("backup", "delete", "nightly");
    assertThat(backupDeleted.exitCode()).as(backupDeleted.err()).isZero();
    assertThat(backupDeleted.out()).contains("Deleted backup nightly");
    assertThat(cli.run("backup", "list").out()).doesNotContain("nightly");
    assertThat(cli.run("instance", "delete", "cache-copy", "--wait", "--timeout", "120").exitCode())
        .isZero();

    // A configuration group, typed by the catalog, attached and read back from the engine.
    assertThat(cli.run("configuration", "parameters", "redis").out()).contains("maxmemory-policy");
    var group =
        cli.run(
            "configuration",
            "create",
            "evicting",
            "--datastore",
            "redis",
            "--value",
            "maxmemory-policy=allkeys-lru",
            "--value",
            "hz=20");
    assertThat(group.exitCode()).as(group.out() + group.err()).isZero();
    var badValue =
        cli.run("configuration", "create", "bad", "--datastore", "redis", "--value", "hz=0");
    assertThat(badValue.exitCode()).isEqualTo(1);
    assertThat(badValue.err()).contains("hz");
    assertThat(cli.run("configuration", "attach", "cache", "evicting").exitCode()).isZero();
    await()
        .atMost(java.time.Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(cli.run("configuration", "values", "cache").out())
                    .contains("allkeys-lru"));
    assertThat(cli.run("configuration", "detach", "cache").exitCode()).isZero();
    await()
        .atMost(java.time.Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(cli.run("configuration", "values", "cache").out())
                    .doesNotContain("allkeys-lru"));
    assertThat(cli.run("configuration", "delete", "evicting").exitCode()).isZero();

    // A replica, a switchover to it, then the old primary detached into a standalone instance.
    var replica = cli.run("replica", "create", "cache-r", "--of", "cache", "--wait");
    assertThat(replica.exitCode()).as(replica.out() + replica.err()).isZero();
    assertThat(replica.out()).contains("ACTIVE").contains("replica_of");
    assertThat(cli.run("replica", "list", "cache").out()).contains("primary_endpoint");
    assertThat(cli.run("--format", "json", "replica", "list", "cache").out())
        .containsPattern("\"role\"\\s*:\\s*\"replica\"")
        .containsPattern("\"role\"\\s*:\\s*\"primary\"");
    var promoted = cli.run("replica", "promote", "cache-r", "--wait", "--timeout", "120");
    assertThat(promoted.exitCode()).as(promoted.out() + promoted.err()).isZero();
    assertThat(promoted.out()).contains("switchover");
    var eject = cli.run("replica", "eject", "cache-r");
    assertThat(eject.exitCode()).isEqualTo(1);
    assertThat(eject.err()).contains("cannot be ejected as it has a current heartbeat");
    var detached = cli.run("replica", "detach", "cache", "--wait", "--timeout", "120");
    assertThat(detached.exitCode()).as(detached.out() + detached.err()).isZero();
    assertThat(cli.run("instance", "show", "cache").out()).doesNotContain("replica_of");
    assertThat(cli.run("instance", "delete", "cache-r", "--wait", "--timeout", "120").exitCode())
        .isZero();

    // Lifecycle: a larger flavor, a larger volume, access limited, protection, an admin reset.
    var resized = cli.run("instance", "resize", "cache", "--flavor", "m1.small", "--wait");
    assertThat(resized.exitCode()).as(resized.out() + resized.err()).isZero();
    assertThat(resized.out()).containsPattern("flavor\\s+2");
    var grown = cli.run("instance", "resize", "cache", "--size", "2", "--wait");
    assertThat(grown.exitCode()).as(grown.out() + grown.err()).isZero();
    assertThat(grown.out()).contains("2 GB");
    assertThat(cli.run("instance", "resize", "cache").err()).contains("--flavor or --size");
    var limited = cli.run("instance", "access", "cache", "--allowed-cidr", "127.0.0.0/8");
    assertThat(limited.exitCode()).as(limited.out() + limited.err()).isZero();
    assertThat(cli.run("instance", "show", "cache").out()).contains("127.0.0.0/8");
    assertThat(cli.run("instance", "access", "cache").out()).contains("Every client network");
    assertThat(cli.run("instance", "protect", "cache").exitCode()).isZero();
    var refused = cli.run("instance", "delete", "cache");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("deletion protection");
    assertThat(cli.run("instance", "protect", "cache", "--off").exitCode()).isZero();
    assertThat(cli.run("instance", "reset-status", "cache").exitCode()).isZero();

    var deleted = cli.run("instance", "delete", "cache", "--wait", "--timeout", "120");
    assertThat(deleted.exitCode()).as(deleted.out() + deleted.err()).isZero();
    var gone = cli.run("instance", "show", "cache");
    assertThat(gone.exitCode()).isEqualTo(1);
    assertThat(gone.err()).contains("coffer instance list");
  }
}

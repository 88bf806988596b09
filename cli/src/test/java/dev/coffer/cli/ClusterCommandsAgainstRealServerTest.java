package dev.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

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

/** {@code coffer cluster ...} end to end against a real control plane and Redis engines. */
class ClusterCommandsAgainstRealServerTest {
  static Coffer coffer;
  static IdentityService.BootstrapCredentials admin;
  static Path home;

  @BeforeAll
  static void start() throws Exception {
    Path base = Path.of("/tmp/coffer-it");
    Files.createDirectories(base);
    home = Files.createTempDirectory(base, "cli-clusters");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    coffer =
        Coffer.start(
            ServerConfig.fromEnvironment(
                    Map.of(
                        "COFFER_HOME", home.toString(),
                        "COFFER_ADDRESS_POOL", "127.100",
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
  void anOperatorCreatesGrowsShrinksAndDeletesARedisCluster(@TempDir Path config) {
    CliRunner cli = new CliRunner(config.resolve("config.json"));
    cli.env.put("COFFER_PASSWORD", admin.password());
    assertThat(cli.run("login", "--url", coffer.apiUrl(), "--username", "admin").exitCode())
        .isZero();

    var created =
        cli.run(
            "cluster",
            "create",
            "cache",
            "--datastore",
            "redis",
            "--flavor",
            "m1.tiny",
            "--wait",
            "--timeout",
            "180");
    assertThat(created.exitCode()).as(created.out() + created.err()).isZero();
    assertThat(created.out())
        .containsPattern("status +ACTIVE")
        .contains("cache-member-1", "cache-member-2", "cache-member-3");
    assertThat(created.err()).contains("cache: ACTIVE");
    assertThat(cli.run("cluster", "list").out()).containsPattern("cache +redis +7\\.\\d +NONE +3");

    var tooSmall = cli.run("cluster", "shrink", "cache", "cache-member-3");
    assertThat(tooSmall.exitCode()).isNotZero();
    assertThat(tooSmall.err()).contains("cannot safely be lowered");

    var grown =
        cli.run("cluster", "grow", "cache", "--flavor", "m1.tiny", "--wait", "--timeout", "180");
    assertThat(grown.exitCode()).as(grown.out() + grown.err()).isZero();
    assertThat(grown.out()).contains("cache-member-4");

    var shrunk =
        cli.run("cluster", "shrink", "cache", "cache-member-4", "--wait", "--timeout", "180");
    assertThat(shrunk.exitCode()).as(shrunk.out() + shrunk.err()).isZero();
    assertThat(cli.run("cluster", "show", "cache").out()).doesNotContain("cache-member-4");

    var deleted = cli.run("cluster", "delete", "cache", "--wait", "--timeout", "120");
    assertThat(deleted.exitCode()).as(deleted.out() + deleted.err()).isZero();
    assertThat(cli.run("cluster", "list").out()).doesNotContain("cache");
    assertThat(coffer.compute().presentInstances()).isEmpty();
  }
}

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

/** {@code coffer log ...} end to end against a real control plane, agent and Redis engine. */
class LogCommandsAgainstRealServerTest {
  static Coffer coffer;
  static IdentityService.BootstrapCredentials admin;
  static Path home;

  @BeforeAll
  static void start() throws Exception {
    Path base = Path.of("/tmp/coffer-it");
    Files.createDirectories(base);
    home = Files.createTempDirectory(base, "cli-logs");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    coffer =
        Coffer.start(
            ServerConfig.fromEnvironment(
                    Map.of(
                        "COFFER_HOME", home.toString(),
                        "COFFER_ADDRESS_POOL", "127.93",
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
  void anOperatorListsTailsPublishesAndDiscardsTheServerLogOfAnInstance(@TempDir Path config) {
    CliRunner cli = new CliRunner(config.resolve("config.json"));
    cli.env.put("COFFER_PASSWORD", admin.password());
    assertThat(cli.run("login", "--url", coffer.apiUrl(), "--username", "admin").exitCode())
        .isZero();
    var created =
        cli.run(
            "instance",
            "create",
            "logged",
            "--datastore",
            "redis",
            "--flavor",
            "m1.tiny",
            "--size",
            "1",
            "--wait",
            "--timeout",
            "180");
    assertThat(created.exitCode()).as(created.out() + created.err()).isZero();

    assertThat(cli.run("log", "list", "logged").out())
        .containsPattern("server +SYS +Ready +0 +[1-9]");
    assertThat(cli.run("log", "tail", "logged", "server", "--lines", "100").out())
        .contains("Ready to accept connections");
    var published = cli.run("log", "publish", "logged", "server");
    assertThat(published.exitCode()).as(published.err()).isZero();
    assertThat(published.out())
        .containsPattern("status +Published")
        .containsPattern("pending +0")
        .contains("redis-server/");
    assertThat(cli.run("log", "show", "logged", "server").out())
        .containsPattern("status +Published");
    var refused = cli.run("log", "enable", "logged", "server");
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("Cannot enable a SYSTEM log ('server')");
    var unknown = cli.run("log", "show", "logged", "general");
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("Log 'general' is not defined");
    assertThat(cli.run("log", "discard", "logged", "server").out())
        .containsPattern("published +0")
        .containsPattern("status +Ready");
    assertThat(cli.run("instance", "delete", "logged", "--wait", "--timeout", "120").exitCode())
        .isZero();
  }
}

package dev.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErrorHintsTest {
  @TempDir Path home;
  private FakeServer server;
  private CliRunner cli;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    cli = CliRunner.loggedIn(home.resolve("config.json"), server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void anExpiredTokenSaysToLogIn() {
    server.on(
        "GET",
        "/v1.0/p1/datastores",
        401,
        "{\"unauthorized\":{\"code\":401,\"message\":\"The token has expired.\"}}");

    CliRunner.Result result = cli.run("datastore", "list");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err().lines())
        .containsExactly("error: The token has expired.", "hint: run 'coffer login'");
  }

  @Test
  void noTokenAtAllSaysToLogInWithoutCallingTheServer() {
    cli.env.remove("COFFER_TOKEN");

    CliRunner.Result result = cli.run("instance", "list");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("error: not logged in", "hint: run 'coffer login'");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void aRefusedConnectionAsksWhetherTheServerIsRunning() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    cli.env.put("COFFER_URL", "http://127.0.0.1:" + closedPort);

    CliRunner.Result result = cli.run("flavor", "list");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: cannot connect to http://127.0.0.1:" + closedPort)
        .contains("hint: is the server running? start it with './coffer up'")
        .doesNotContain("Exception");
  }

  @Test
  void aBadRequestShowsTheServersMessageNamingTheField() {
    server
        .on("GET", "/v1.0/p1/flavors/2", 200, Bodies.FLAVOR_2)
        .on(
            "POST",
            "/v1.0/p1/instances",
            400,
            "{\"badRequest\":{\"code\":400,\"message\":\"volume.size must be between 1 and 100.\"}}");

    CliRunner.Result result =
        cli.run(
            "instance", "create", "db1", "--datastore", "mariadb", "--flavor", "2", "--size", "0");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: volume.size must be between 1 and 100.")
        .contains("hint: correct the value named in the message");
  }

  @Test
  void usageErrorsExitWithTwo() {
    CliRunner.Result missing = cli.run("instance", "create", "db1");
    CliRunner.Result unknown = cli.run("instance", "explode");
    CliRunner.Result badUser =
        cli.run(
            "instance",
            "create",
            "db1",
            "--datastore",
            "mariadb",
            "--flavor",
            "2",
            "--size",
            "1",
            "--user",
            ":hunter2");

    assertThat(missing.exitCode()).isEqualTo(2);
    // --datastore is checked after parsing: --from-backup can stand in for it.
    assertThat(missing.err())
        .contains("--flavor", "--size", "hint: see 'coffer instance create --help'");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(badUser.exitCode()).isEqualTo(2);
    assertThat(badUser.err()).doesNotContain("hunter2");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void debugAddsTheStackTraceAndRequestLinesButNeverBodies() {
    server.on(
        "POST",
        "/coffer/v1/tokens",
        401,
        "{\"unauthorized\":{\"code\":401,\"message\":\"Invalid user name or password.\"}}");

    CliRunner.Result result =
        cli.run("login", "--username", "admin", "--password", "hunter2", "--debug");

    assertThat(result.err())
        .contains("> POST " + server.url() + "/coffer/v1/tokens", "< 401", "ApiException", "\tat ")
        .doesNotContain("hunter2");
  }
}

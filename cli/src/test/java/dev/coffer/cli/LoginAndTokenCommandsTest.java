package dev.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginAndTokenCommandsTest {
  private static final String TOKEN =
      """
      {"token":{"id":"s3cr3t-token","token_id":"tk-1","project_id":"p1","project_name":"team-a",
       "user":"admin","roles":["admin"],"expires_at":"2026-12-25T10:00:00Z"}}
      """;

  private final ObjectMapper mapper = Json.newMapper();
  @TempDir Path home;
  private Path configFile;
  private FakeServer server;
  private CliRunner cli;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    configFile = home.resolve("nested/coffer/config.json");
    cli = new CliRunner(configFile);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void loginSavesUrlTokenAndProjectInAFileOnlyItsOwnerCanRead() throws Exception {
    server.on("POST", "/coffer/v1/tokens", 201, TOKEN);
    cli.env.put("COFFER_PASSWORD", "pw-from-env");

    CliRunner.Result result =
        cli.run("login", "--url", server.url(), "--username", "admin", "--project", "team-a");

    assertThat(result.exitCode()).as(result.err()).isZero();
    JsonNode sent = mapper.readTree(server.last("POST", "/coffer/v1/tokens").body());
    assertThat(sent.path("username").asText()).isEqualTo("admin");
    assertThat(sent.path("password").asText()).isEqualTo("pw-from-env");
    assertThat(sent.path("project").asText()).isEqualTo("team-a");
    assertThat(server.last("POST", "/coffer/v1/tokens").token()).isNull();

    assertThat(Files.getPosixFilePermissions(configFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    JsonNode saved = mapper.readTree(configFile.toFile());
    assertThat(saved.path("url").asText()).isEqualTo(server.url());
    assertThat(saved.path("token").asText()).isEqualTo("s3cr3t-token");
    assertThat(saved.path("project_id").asText()).isEqualTo("p1");
    assertThat(result.out()).contains("admin", "team-a", "p1").doesNotContain("s3cr3t-token");
  }

  @Test
  void commandsAfterLoginUseTheSavedUrlTokenAndProject() {
    server
        .on("POST", "/coffer/v1/tokens", 201, TOKEN)
        .on("GET", "/v1.0/p1/flavors", 200, Bodies.FLAVORS);
    cli.run("login", "--url", server.url(), "--username", "admin", "--password", "pw");

    CliRunner.Result result = cli.run("flavor", "list");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.last("GET", "/v1.0/p1/flavors").token()).isEqualTo("s3cr3t-token");
    assertThat(result.out()).contains("m1.small", "2048", "d2");
  }

  @Test
  void environmentVariablesOverrideTheConfigFile() {
    server
        .on("POST", "/coffer/v1/tokens", 201, TOKEN)
        .on("GET", "/v1.0/p2/flavors", 200, Bodies.FLAVORS);
    cli.run("login", "--url", server.url(), "--username", "admin", "--password", "pw");
    cli.env.put("COFFER_TOKEN", "other-token");
    cli.env.put("COFFER_PROJECT", "p2");

    cli.run("flavor", "list");

    assertThat(server.last("GET", "/v1.0/p2/flavors").token()).isEqualTo("other-token");
  }

  @Test
  void loginWithoutAPasswordOrTerminalSaysHowToGiveOne() {
    CliRunner.Result result = cli.run("login", "--url", server.url(), "--username", "admin");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("no password given", "COFFER_PASSWORD");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void badCredentialsAreReportedWithTheServersMessage() {
    server.on(
        "POST",
        "/coffer/v1/tokens",
        401,
        "{\"unauthorized\":{\"code\":401,\"message\":\"Invalid user name or password.\"}}");

    CliRunner.Result result =
        cli.run("login", "--url", server.url(), "--username", "admin", "--password", "wrong");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("error: Invalid user name or password.");
    assertThat(Files.exists(configFile)).isFalse();
  }

  @Test
  void logoutRevokesTheSavedTokenAndForgetsIt() throws Exception {
    server
        .on("POST", "/coffer/v1/tokens", 201, TOKEN)
        .on("DELETE", "/coffer/v1/tokens/tk-1", 204, "");
    cli.run("login", "--url", server.url(), "--username", "admin", "--password", "pw");

    CliRunner.Result result = cli.run("logout");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.last("DELETE", "/coffer/v1/tokens/tk-1").token()).isEqualTo("s3cr3t-token");
    JsonNode saved = mapper.readTree(configFile.toFile());
    assertThat(saved.has("token")).isFalse();
    assertThat(saved.path("url").asText()).isEqualTo(server.url());
  }

  @Test
  void tokenCreatePrintsTheNewTokenOnceAndListShowsOnlyPublicIds() {
    server
        .on("POST", "/coffer/v1/tokens", 201, TOKEN)
        .on(
            "GET",
            "/coffer/v1/tokens",
            200,
            """
            {"tokens":[{"token_id":"tk-1","description":"coffer login","project_id":"p1",
              "created":"2026-11-25T10:00:00Z","expires_at":"2026-12-25T10:00:00Z"}]}
            """);
    cli.run("login", "--url", server.url(), "--username", "admin", "--password", "pw");

    CliRunner.Result created =
        cli.run("token", "create", "--description", "ci", "--password", "pw");
    CliRunner.Result listed = cli.run("token", "list");

    assertThat(created.out()).contains("s3cr3t-token", "shown only this once");
    assertThat(server.last("POST", "/coffer/v1/tokens").body()).contains("\"description\":\"ci\"");
    assertThat(listed.out()).contains("TOKEN_ID", "tk-1", "(this login)").doesNotContain("s3cr3t");
  }

  @Test
  void adminCommandsCreateProjectsAndAccounts() throws Exception {
    cli.env.put("COFFER_URL", server.url());
    cli.env.put("COFFER_TOKEN", "tok-secret");
    server
        .on("POST", "/coffer/v1/projects", 201, "{\"project\":{\"id\":\"p9\",\"name\":\"team-a\"}}")
        .on(
            "POST",
            "/coffer/v1/users",
            201,
            "{\"user\":{\"id\":\"u1\",\"name\":\"alice\",\"project_id\":\"p9\",\"role\":\"member\"}}");

    CliRunner.Result project = cli.run("project", "create", "team-a");
    CliRunner.Result account =
        cli.run("user-account", "create", "alice", "--password", "pw", "--project", "p9");

    assertThat(project.out()).contains("p9", "team-a");
    assertThat(account.out()).contains("u1", "alice", "member").doesNotContain("pw");
    assertThat(mapper.readTree(server.last("POST", "/coffer/v1/projects").body()))
        .isEqualTo(mapper.readTree("{\"project\":{\"name\":\"team-a\"}}"));
    assertThat(mapper.readTree(server.last("POST", "/coffer/v1/users").body()))
        .isEqualTo(
            mapper.readTree(
                "{\"user\":{\"name\":\"alice\",\"password\":\"pw\",\"project_id\":\"p9\","
                    + "\"role\":\"member\"}}"));
  }
}

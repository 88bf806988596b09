package dev.coffer.cli;

import static dev.coffer.cli.Bodies.ID;
import static dev.coffer.cli.Bodies.P;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseUserRootCommandsTest {
  private static final String INSTANCE = P + "/instances/" + ID;
  private final ObjectMapper mapper = Json.newMapper();
  @TempDir Path home;
  private FakeServer server;
  private CliRunner cli;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    server.on("GET", INSTANCE, 200, Bodies.instance(ID, "db1", "ACTIVE"));
    cli = CliRunner.loggedIn(home.resolve("config.json"), server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aUserWithAHostIsAddressedAsOneEncodedPathSegment() {
    String carol = INSTANCE + "/users/carol%4010.0.0.%25";
    server
        .on(
            "GET",
            carol,
            200,
            "{\"user\":{\"name\":\"carol\",\"host\":\"10.0.0.%\",\"databases\":[]}}")
        .on("DELETE", carol, 202, "")
        .on("GET", carol + "/databases", 200, "{\"databases\":[{\"name\":\"appdb\"}]}")
        .on("PUT", carol + "/databases", 202, "")
        .on("DELETE", carol + "/databases/appdb", 202, "");

    assertThat(cli.run("user", "show", ID, "carol", "--host", "10.0.0.%").out())
        .contains("carol", "10.0.0.%");
    assertThat(cli.run("user", "access", ID, "carol", "--host", "10.0.0.%").out())
        .contains("appdb");
    assertThat(cli.run("user", "grant", ID, "carol", "appdb", "--host", "10.0.0.%").exitCode())
        .isZero();
    assertThat(cli.run("user", "revoke", ID, "carol", "appdb", "--host", "10.0.0.%").exitCode())
        .isZero();
    assertThat(cli.run("user", "delete", ID, "carol", "--host", "10.0.0.%").exitCode()).isZero();

    assertThat(server.calls())
        .filteredOn(c -> !c.equals("GET " + INSTANCE))
        .containsExactly(
            "GET " + carol,
            "GET " + carol + "/databases",
            "PUT " + carol + "/databases",
            "DELETE " + carol + "/databases/appdb",
            "DELETE " + carol);
  }

  @Test
  void userCreateAndUpdateSendTroveBodiesWithoutEchoingPasswords() throws Exception {
    server.on("POST", INSTANCE + "/users", 202, "").on("PUT", INSTANCE + "/users/bob", 202, "");

    CliRunner.Result create =
        cli.run(
            "user",
            "create",
            ID,
            "bob",
            "--password",
            "bobpass",
            "--database",
            "appdb",
            "--database",
            "sales");
    CliRunner.Result createWithHost =
        cli.run("user", "create", ID, "carol", "--password", "carolpass", "--host", "10.0.0.%");
    CliRunner.Result update = cli.run("user", "update", ID, "bob", "--new-password", "pw2");

    assertThat(create.exitCode()).as(create.err()).isZero();
    assertThat(createWithHost.exitCode()).isZero();
    assertThat(update.exitCode()).isZero();
    assertThat(
            server.requests().stream()
                .filter(r -> r.call().equals("POST " + INSTANCE + "/users"))
                .map(r -> readTree(r.body())))
        .containsExactly(
            readTree(
                "{\"users\":[{\"name\":\"bob\",\"password\":\"bobpass\","
                    + "\"databases\":[{\"name\":\"appdb\"},{\"name\":\"sales\"}]}]}"),
            readTree(
                "{\"users\":[{\"name\":\"carol\",\"password\":\"carolpass\",\"databases\":[],"
                    + "\"host\":\"10.0.0.%\"}]}"));
    assertThat(readTree(server.last("PUT", INSTANCE + "/users/bob").body()))
        .isEqualTo(readTree("{\"user\":{\"password\":\"pw2\"}}"));
    assertThat(create.out() + createWithHost.out() + update.out())
        .doesNotContain("bobpass", "carolpass", "pw2");
  }

  @Test
  void userUpdateWithoutAChangeIsAUsageError() {
    CliRunner.Result result = cli.run("user", "update", ID, "bob");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("--new-password", "coffer user update --help");
  }

  @Test
  void databaseCommandsUseTheInstancesDatabasesPaths() throws Exception {
    server
        .on("POST", INSTANCE + "/databases", 202, "")
        .on(
            "GET",
            INSTANCE + "/databases",
            200,
            "{\"databases\":[{\"name\":\"sales\"}],\"links\":[]}")
        .on("DELETE", INSTANCE + "/databases/sales", 202, "");

    assertThat(
            cli.run(
                    "database",
                    "create",
                    ID,
                    "sales",
                    "--character-set",
                    "utf8mb4",
                    "--collate",
                    "utf8mb4_general_ci")
                .exitCode())
        .isZero();
    assertThat(cli.run("database", "list", ID).out()).contains("NAME", "sales");
    assertThat(cli.run("database", "delete", ID, "sales").exitCode()).isZero();

    assertThat(readTree(server.last("POST", INSTANCE + "/databases").body()))
        .isEqualTo(
            readTree(
                "{\"databases\":[{\"name\":\"sales\",\"character_set\":\"utf8mb4\","
                    + "\"collate\":\"utf8mb4_general_ci\"}]}"));
    assertThat(server.calls()).contains("DELETE " + INSTANCE + "/databases/sales");
  }

  @Test
  void rootEnablePrintsTheGeneratedPasswordOnce() {
    server
        .on(
            "POST",
            INSTANCE + "/root",
            200,
            "{\"user\":{\"name\":\"root\",\"password\":\"7VeJdoQfUKdVqWQr\"}}")
        .on("GET", INSTANCE + "/root", 200, "{\"rootEnabled\":true}")
        .on("DELETE", INSTANCE + "/root", 204, "");

    CliRunner.Result enable = cli.run("root", "enable", ID);
    CliRunner.Result show = cli.run("root", "show", ID);
    CliRunner.Result disable = cli.run("root", "disable", ID);

    assertThat(enable.out()).contains("root", "7VeJdoQfUKdVqWQr");
    assertThat(server.last("POST", INSTANCE + "/root").body()).isEmpty();
    assertThat(show.out()).contains("root_enabled", "yes");
    assertThat(disable.exitCode()).isZero();
  }

  @Test
  void rootEnableSendsAChosenPassword() {
    server.on(
        "POST", INSTANCE + "/root", 200, "{\"user\":{\"name\":\"root\",\"password\":\"S3cret!\"}}");

    cli.run("root", "enable", ID, "--password", "S3cret!");

    assertThat(readTree(server.last("POST", INSTANCE + "/root").body()))
        .isEqualTo(readTree("{\"password\":\"S3cret!\"}"));
  }

  private com.fasterxml.jackson.databind.JsonNode readTree(String json) {
    try {
      return mapper.readTree(json);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}

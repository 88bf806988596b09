package dev.coffer.cli;

import static dev.coffer.cli.Bodies.BK1;
import static dev.coffer.cli.Bodies.ID;
import static dev.coffer.cli.Bodies.OTHER_ID;
import static dev.coffer.cli.Bodies.P;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceCommandsTest {
  private final ObjectMapper mapper = Json.newMapper();
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
  void createResolvesAFlavorNameAndSendsTroveBody() throws Exception {
    server
        .on("GET", P + "/flavors/m1.small", 404, Bodies.notFound("Flavor m1.small"))
        .on("GET", P + "/flavors", 200, Bodies.FLAVORS)
        .on("POST", P + "/instances", 200, Bodies.instance(ID, "db1", "BUILD"));

    CliRunner.Result result =
        cli.run(
            "instance",
            "create",
            "db1",
            "--datastore",
            "mariadb",
            "--version",
            "10.11",
            "--flavor",
            "m1.small",
            "--size",
            "1",
            "--database",
            "appdb",
            "--database",
            "reports",
            "--user",
            "app:secret1",
            "--user",
            "ro:secret2:reports",
            "--is-public",
            "--allowed-cidr",
            "10.0.0.0/8",
            "--allowed-cidr",
            "192.168.0.0/16");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/flavors/m1.small", "GET " + P + "/flavors", "POST " + P + "/instances");
    FakeServer.Request create = server.last("POST", P + "/instances");
    assertThat(create.token()).isEqualTo("tok-secret");
    assertThat(mapper.readTree(create.body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"instance":{"name":"db1","flavorRef":2,"volume":{"size":1},
                 "databases":[{"name":"appdb"},{"name":"reports"}],
                 "users":[{"name":"app","password":"secret1",
                           "databases":[{"name":"appdb"},{"name":"reports"}]},
                          {"name":"ro","password":"secret2","databases":[{"name":"reports"}]}],
                 "datastore":{"type":"mariadb","version":"10.11"},
                 "access":{"is_public":true,"allowed_cidrs":["10.0.0.0/8","192.168.0.0/16"]}}}
                """));
    assertThat(result.out()).contains(ID, "BUILD").doesNotContain("secret1", "secret2");
  }

  @Test
  void createWithAFlavorIdSendsNoDatabasesUsersOrVersion() throws Exception {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("POST", P + "/instances", 200, Bodies.instance(ID, "db3", "BUILD"));

    CliRunner.Result result =
        cli.run(
            "instance", "create", "db3", "--datastore", "mariadb", "--flavor", "2", "--size", "2");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(mapper.readTree(server.last("POST", P + "/instances").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"instance":{"name":"db3","flavorRef":2,"volume":{"size":2},
                 "datastore":{"type":"mariadb"},"access":{"is_public":false}}}
                """));
  }

  @Test
  void createWithWaitPollsUntilActiveAndPrintsHowToConnect() {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("POST", P + "/instances", 200, Bodies.instance(ID, "db1", "BUILD"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "BUILD"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "BUILD"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"));

    CliRunner.Result result =
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
            "--wait");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .filteredOn(c -> c.equals("GET " + P + "/instances/" + ID))
        .hasSize(3);
    // Not a terminal: one line per status change, not per poll.
    assertThat(result.err().lines()).hasSize(2);
    assertThat(result.err()).contains("db1: BUILD (0:0", "db1: ACTIVE (0:0");
    assertThat(result.out())
        .contains(ID, "ACTIVE", "127.77.0.2:3306", "mariadb -h 127.77.0.2 -P 3306 -u {user} -p");
  }

  @Test
  void createWithWaitEndingInErrorPrintsTheFaultAndFails() {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("POST", P + "/instances", 200, Bodies.instance(ID, "db1", "BUILD"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "BUILD"))
        .on(
            "GET",
            P + "/instances/" + ID,
            200,
            Bodies.failedInstance(ID, "db1", "mariadbd did not start: port 3306 in use"));

    CliRunner.Result result =
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
            "--wait");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: db1 failed: mariadbd did not start: port 3306 in use")
        .contains("hint: ")
        .doesNotContain("Exception", "\tat ");
  }

  @Test
  void waitGivesUpAfterTheTimeout() {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "REBOOT"))
        .on("POST", P + "/instances/" + ID + "/action", 202, "");

    CliRunner.Result result = cli.run("instance", "restart", ID, "--wait", "--timeout", "0");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("gave up waiting", "it is REBOOT", "--timeout");
  }

  @Test
  void showFallsBackToTheListWhenGivenAName() {
    server
        .on("GET", P + "/instances/db1", 404, Bodies.notFound("Instance db1"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1", OTHER_ID, "db2"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"));

    CliRunner.Result result = cli.run("instance", "show", "db1");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/instances/db1",
            "GET " + P + "/instances",
            "GET " + P + "/instances/" + ID);
    assertThat(result.out())
        .contains("id", ID, "endpoint", "127.77.0.2:3306", "1 GB (0.01 GB used)");
  }

  @Test
  void anAmbiguousNameIsRefusedWithTheIds() {
    server
        .on("GET", P + "/instances/db1", 404, Bodies.notFound("Instance db1"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1", OTHER_ID, "db1"));

    CliRunner.Result result = cli.run("instance", "delete", "db1");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("2 instances are named db1", ID, OTHER_ID, "give the id");
    assertThat(server.calls()).noneMatch(c -> c.startsWith("DELETE"));
  }

  @Test
  void anUnknownNameReportsTheServers404WithAHint() {
    server
        .on("GET", P + "/instances/nope", 404, Bodies.notFound("Instance nope"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1"));

    CliRunner.Result result = cli.run("instance", "show", "nope");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: Instance nope could not be found.")
        .contains("hint: check the id with 'coffer instance list'");
  }

  @Test
  void deleteWithWaitPollsUntilTheInstanceIsGone() {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "SHUTDOWN"))
        .on("GET", P + "/instances/" + ID, 404, Bodies.notFound("Instance " + ID))
        .on("DELETE", P + "/instances/" + ID, 202, "");

    CliRunner.Result result = cli.run("instance", "delete", ID, "--wait");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/instances/" + ID,
            "DELETE " + P + "/instances/" + ID,
            "GET " + P + "/instances/" + ID,
            "GET " + P + "/instances/" + ID);
    assertThat(result.err()).contains("SHUTDOWN", "DELETED");
    assertThat(result.out()).contains("Deleted " + ID);
  }

  @Test
  void restartAndRenameSendTroveActions() throws Exception {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/instances/" + ID + "/action", 202, "")
        .on("PUT", P + "/instances/" + ID, 202, "");

    assertThat(cli.run("instance", "restart", ID).exitCode()).isZero();
    assertThat(cli.run("instance", "rename", ID, "db1-renamed").exitCode()).isZero();

    assertThat(mapper.readTree(server.last("POST", P + "/instances/" + ID + "/action").body()))
        .isEqualTo(mapper.readTree("{\"restart\":{}}"));
    assertThat(mapper.readTree(server.last("PUT", P + "/instances/" + ID).body()))
        .isEqualTo(mapper.readTree("{\"instance\":{\"name\":\"db1-renamed\"}}"));
  }

  @Test
  void upgradeSendsTrovesBodyAndWaitsUntilActiveOnTheNewVersion() throws Exception {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "UPGRADE"))
        .on(
            "GET",
            P + "/instances/" + ID,
            200,
            Bodies.instance(ID, "db1", "ACTIVE").replace("\"10.11\"", "\"10.11-patched\""))
        .on("PATCH", P + "/instances/" + ID, 202, "");

    CliRunner.Result result = cli.run("instance", "upgrade", ID, "10.11-patched");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(mapper.readTree(server.last("PATCH", P + "/instances/" + ID).body()))
        .isEqualTo(mapper.readTree("{\"instance\":{\"datastore_version\":\"10.11-patched\"}}"));
    assertThat(result.out()).contains("10.11-patched");
  }

  @Test
  void anUpgradeThatWasRolledBackFailsWithItsFault() {
    String rolledBack =
        Bodies.instance(ID, "db1", "ACTIVE")
            .replace(
                "\"status\":\"ACTIVE\"",
                "\"status\":\"ACTIVE\",\"fault\":{\"message\":\"Upgrade to 10.11-broken failed:"
                    + " the server exited; rolled back to 10.11; backup b1 was taken before the"
                    + " upgrade.\"}");
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("GET", P + "/instances/" + ID, 200, rolledBack)
        .on("PATCH", P + "/instances/" + ID, 202, "");

    CliRunner.Result result = cli.run("instance", "upgrade", ID, "10.11-broken");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("Upgrade to 10.11-broken failed", "rolled back to 10.11");
  }

  @Test
  void listPrintsATableOrTheServersJson() throws Exception {
    String body = Bodies.instances(ID, "db1", OTHER_ID, "db2");
    server.on("GET", P + "/instances?limit=2&marker=abc", 200, body);

    CliRunner.Result table = cli.run("instance", "list", "--limit", "2", "--marker", "abc");
    CliRunner.Result json =
        cli.run("--format", "json", "instance", "list", "--limit", "2", "--marker", "abc");
    CliRunner.Result jsonAfter =
        cli.run("instance", "list", "--limit", "2", "--marker", "abc", "--format", "json");

    assertThat(table.exitCode()).as(table.err()).isZero();
    assertThat(table.out().lines().toList())
        .hasSize(3)
        .first()
        .asString()
        .matches("ID +NAME +DATASTORE +VERSION +STATUS +ENDPOINT +SIZE");
    assertThat(table.out()).contains("db2", "127.77.0.2:3306", "10.11");
    JsonNode parsed = mapper.readTree(json.out());
    assertThat(parsed).isEqualTo(mapper.readTree(body));
    assertThat(mapper.readTree(jsonAfter.out())).isEqualTo(parsed);
  }

  @Test
  void listTellsHowToGetTheNextPage() {
    server.on(
        "GET",
        P + "/instances?limit=1",
        200,
        Bodies.instances(ID, "db1")
            .replace(
                "\"links\":[]",
                "\"links\":[{\"rel\":\"next\",\"href\":\"http://x/v1.0/p1/instances?limit=1&marker="
                    + ID
                    + "\"}]"));

    CliRunner.Result result = cli.run("instance", "list", "--limit", "1");

    assertThat(result.out()).contains("coffer instance list --marker " + ID);
  }

  @Test
  void createFromABackupNameSendsItsIdAsRestorePointAndNoDatastore() throws Exception {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("GET", P + "/backups/nightly", 404, Bodies.notFound("Backup nightly"))
        .on("GET", P + "/backups", 200, Bodies.backups(BK1, "nightly"))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null))
        .on("POST", P + "/instances", 200, Bodies.instance(OTHER_ID, "db1-copy", "BUILD"));

    CliRunner.Result result =
        cli.run(
            "instance",
            "create",
            "db1-copy",
            "--from-backup",
            "nightly",
            "--flavor",
            "2",
            "--size",
            "2");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/flavors/2",
            "GET " + P + "/backups/nightly",
            "GET " + P + "/backups",
            "GET " + P + "/backups/" + BK1,
            "POST " + P + "/instances");
    assertThat(mapper.readTree(server.last("POST", P + "/instances").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"instance":{"name":"db1-copy","flavorRef":2,"volume":{"size":2},
                 "restorePoint":{"backupRef":"%s"},"access":{"is_public":false}}}
                """
                    .formatted(BK1)));
    assertThat(result.out()).contains(OTHER_ID, "BUILD");
  }

  @Test
  void createFromABackupKeepsAGivenDatastoreForTheServerToCheck() throws Exception {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null))
        .on("POST", P + "/instances", 200, Bodies.instance(OTHER_ID, "db1-copy", "BUILD"));

    CliRunner.Result result =
        cli.run(
            "instance",
            "create",
            "db1-copy",
            "--from-backup",
            BK1,
            "--datastore",
            "mariadb",
            "--flavor",
            "2",
            "--size",
            "1");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(mapper.readTree(server.last("POST", P + "/instances").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"instance":{"name":"db1-copy","flavorRef":2,"volume":{"size":1},
                 "restorePoint":{"backupRef":"%s"},"datastore":{"type":"mariadb"},
                 "access":{"is_public":false}}}
                """
                    .formatted(BK1)));
  }

  @Test
  void createFromABackupPassesTheRestoreTimeOnAndShowsTheServersRefusal() throws Exception {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null))
        .on(
            "POST",
            P + "/instances",
            400,
            """
            {"badRequest":{"code":400,"message":"Validation error: instance['restorePoint']\
            ['restore_time'] '2026-11-24T23:00:00Z' is after the latest restorable time of\
             instance 9f1c (2026-11-24T22:00:00Z)."}}
            """);

    CliRunner.Result result =
        cli.run(
            "instance",
            "create",
            "db1-copy",
            "--from-backup",
            BK1,
            "--restore-time",
            "2026-11-24T23:00:00Z",
            "--flavor",
            "2",
            "--size",
            "1");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(
            mapper
                .readTree(server.last("POST", P + "/instances").body())
                .path("instance")
                .path("restorePoint"))
        .isEqualTo(
            mapper.readTree(
                """
                {"backupRef":"%s","restore_time":"2026-11-24T23:00:00Z"}
                """
                    .formatted(BK1)));
    assertThat(result.err())
        .contains("error: Validation error: instance['restorePoint']['restore_time']")
        .contains("is after the latest restorable time")
        .contains("hint: choose a time between the backup and the source's")
        .contains("latest_restorable_time");
  }

  @Test
  void createFromABackupThatIsNotCompletedSaysToWaitForIt() {
    server
        .on("GET", P + "/flavors/2", 200, Bodies.FLAVOR_2)
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "BUILDING", null))
        .on(
            "POST",
            P + "/instances",
            409,
            "{\"conflict\":{\"code\":409,\"message\":\"Unable to create instance because backup "
                + BK1
                + " is not completed. Actual state: BUILDING.\"}}");

    CliRunner.Result result =
        cli.run("instance", "create", "c", "--from-backup", BK1, "--flavor", "2", "--size", "1");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("is not completed")
        .contains("hint: wait until 'coffer backup show " + BK1 + "' says COMPLETED")
        .doesNotContain("name is already in use");
  }

  @Test
  void createFromABackupRefusesUsersAndDatabasesWithoutCallingTheServer() {
    CliRunner.Result withUser =
        cli.run(
            "instance",
            "create",
            "db1-copy",
            "--from-backup",
            "nightly",
            "--flavor",
            "2",
            "--size",
            "1",
            "--user",
            "app:Secret-1");
    CliRunner.Result withDatabase =
        cli.run(
            "instance",
            "create",
            "db1-copy",
            "--from-backup",
            "nightly",
            "--flavor",
            "2",
            "--size",
            "1",
            "--database",
            "sales");

    for (CliRunner.Result result : new CliRunner.Result[] {withUser, withDatabase}) {
      assertThat(result.exitCode()).isEqualTo(2);
      assertThat(result.err())
          .contains("--database and --user cannot be used with --from-backup")
          .contains("come from the backup")
          .contains("coffer instance create --help")
          .doesNotContain("Secret-1");
    }
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void createNeedsADatastoreUnlessRestoringAndARestoreTimeNeedsABackup() {
    CliRunner.Result noDatastore =
        cli.run("instance", "create", "db1", "--flavor", "2", "--size", "1");
    CliRunner.Result timeWithoutBackup =
        cli.run(
            "instance",
            "create",
            "db1",
            "--datastore",
            "mariadb",
            "--restore-time",
            "2026-11-24T23:00:00Z",
            "--flavor",
            "2",
            "--size",
            "1");

    assertThat(noDatastore.exitCode()).isEqualTo(2);
    assertThat(noDatastore.err()).contains("--datastore is required unless --from-backup");
    assertThat(timeWithoutBackup.exitCode()).isEqualTo(2);
    assertThat(timeWithoutBackup.err()).contains("--restore-time needs --from-backup");
    assertThat(server.requests()).isEmpty();
  }
}

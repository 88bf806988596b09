package dev.coffer.cli;

import static dev.coffer.cli.Bodies.BK1;
import static dev.coffer.cli.Bodies.BK2;
import static dev.coffer.cli.Bodies.ID;
import static dev.coffer.cli.Bodies.OTHER_ID;
import static dev.coffer.cli.Bodies.P;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupCommandsTest {
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
  void createResolvesTheInstanceNameAndSendsTroveBody() throws Exception {
    server
        .on("GET", P + "/instances/db1", 404, Bodies.notFound("Instance db1"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1", OTHER_ID, "db2"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backups", 202, Bodies.backup(BK1, "nightly", "NEW", null));

    CliRunner.Result result =
        cli.run("backup", "create", "db1", "nightly", "--description", "before the upgrade");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/instances/db1",
            "GET " + P + "/instances",
            "GET " + P + "/instances/" + ID,
            "POST " + P + "/backups");
    assertThat(mapper.readTree(server.last("POST", P + "/backups").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"backup":{"name":"nightly","instance":"%s","description":"before the upgrade",
                 "incremental":0}}
                """
                    .formatted(ID)));
    assertThat(result.out()).contains(BK1, "NEW", "coffer backup show nightly");
  }

  @Test
  void createIncrementalSendsIncrementalOneWithoutAParent() throws Exception {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backups", 202, Bodies.backup(BK2, "hourly", "NEW", null));

    CliRunner.Result result = cli.run("backup", "create", ID, "hourly", "--incremental");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(mapper.readTree(server.last("POST", P + "/backups").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"backup":{"name":"hourly","instance":"%s","incremental":1}}
                """
                    .formatted(ID)));
  }

  @Test
  void createWithAParentNameSendsTheParentsId() throws Exception {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("GET", P + "/backups/nightly", 404, Bodies.notFound("Backup nightly"))
        .on("GET", P + "/backups", 200, Bodies.backups(BK1, "nightly", BK2, "older"))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null))
        .on("POST", P + "/backups", 202, Bodies.backup(BK2, "child", "NEW", BK1));

    CliRunner.Result result =
        cli.run("backup", "create", ID, "child", "--parent", "nightly", "--incremental");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/instances/" + ID,
            "GET " + P + "/backups/nightly",
            "GET " + P + "/backups",
            "GET " + P + "/backups/" + BK1,
            "POST " + P + "/backups");
    assertThat(mapper.readTree(server.last("POST", P + "/backups").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"backup":{"name":"child","instance":"%s","incremental":1,"parent_id":"%s"}}
                """
                    .formatted(ID, BK1)));
    assertThat(result.out()).contains("parent_id", BK1);
  }

  @Test
  void createWithWaitPollsUntilCompletedAndPrintsSizeChecksumAndLocation() {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backups", 202, Bodies.backup(BK1, "nightly", "NEW", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "NEW", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "BUILDING", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "BUILDING", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null));

    CliRunner.Result result = cli.run("backup", "create", ID, "nightly", "--wait");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls()).filteredOn(c -> c.equals("GET " + P + "/backups/" + BK1)).hasSize(4);
    // Not a terminal: one line per status change, like 'instance create --wait'.
    assertThat(result.err().lines())
        .hasSize(3)
        .satisfiesExactly(
            line -> assertThat(line).startsWith("nightly: NEW (0:0"),
            line -> assertThat(line).startsWith("nightly: BUILDING (0:0"),
            line -> assertThat(line).startsWith("nightly: COMPLETED (0:0"));
    assertThat(result.out())
        .contains(BK1, "COMPLETED")
        .contains("0.0001 GB")
        .contains("size_bytes", "107374")
        .contains("sha256:9f86d081884c7d65")
        .contains("locationRef", "/" + BK1 + ".backup")
        .doesNotContain("E-4");
  }

  @Test
  void createWithWaitEndingInFailedPrintsTheFaultAndExitsOne() {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backups", 202, Bodies.backup(BK1, "nightly", "NEW", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "BUILDING", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "FAILED", null));

    CliRunner.Result result = cli.run("backup", "create", ID, "nightly", "--wait");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: backup nightly failed: mariadb-backup exited with 1: disk full")
        .contains("hint: see 'coffer backup show nightly'")
        .doesNotContain("Exception", "\tat ");
  }

  @Test
  void waitGivesUpAfterTheTimeoutPointingAtBackupShow() {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backups", 202, Bodies.backup(BK1, "nightly", "NEW", null))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "BUILDING", null));

    CliRunner.Result result =
        cli.run("backup", "create", ID, "nightly", "--wait", "--timeout", "0");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("gave up waiting for nightly", "it is BUILDING", "coffer backup show nightly");
  }

  @Test
  void listSendsTheInstanceIdDatastoreAndLimitFilters() {
    String path = P + "/backups?instance_id=" + ID + "&datastore=mariadb&limit=2&marker=" + BK2;
    server
        .on("GET", P + "/instances/db1", 404, Bodies.notFound("Instance db1"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("GET", path, 200, Bodies.backups(BK1, "nightly"));

    CliRunner.Result result =
        cli.run(
            "backup",
            "list",
            "--instance",
            "db1",
            "--datastore",
            "mariadb",
            "--limit",
            "2",
            "--marker",
            BK2);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls()).last().isEqualTo("GET " + path);
    assertThat(result.out().lines().toList())
        .hasSize(2)
        .first()
        .asString()
        .matches("ID +NAME +STATUS +INSTANCE_ID +PARENT_ID +DATASTORE +SIZE +CREATED");
    assertThat(result.out()).contains(BK1, "nightly", "COMPLETED", "mariadb 10.11", "0.0001 GB");
  }

  @Test
  void listByTheIdOfADeletedInstanceStillFiltersOnIt() {
    // Backups outlive their instance: its id is still a valid filter.
    server
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1"))
        .on("GET", P + "/backups?instance_id=" + OTHER_ID, 200, Bodies.backups());

    CliRunner.Result result = cli.run("backup", "list", "--instance", OTHER_ID);

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls()).last().isEqualTo("GET " + P + "/backups?instance_id=" + OTHER_ID);
  }

  @Test
  void listTellsHowToGetTheNextPageWithTheSameFilters() {
    server.on(
        "GET",
        P + "/backups?datastore=mariadb&limit=1",
        200,
        Bodies.backups(BK1, "nightly")
            .replace(
                "\"links\":[]",
                "\"links\":[{\"rel\":\"next\",\"href\":\"http://x/v1.0/p1/backups?limit=1&marker="
                    + BK1
                    + "\"}]"));

    CliRunner.Result result = cli.run("backup", "list", "--datastore", "mariadb", "--limit", "1");

    assertThat(result.out())
        .contains("More: coffer backup list --datastore mariadb --limit 1 --marker " + BK1);
  }

  @Test
  void showFallsBackToTheListWhenGivenANameAndPrintsJsonOnRequest() throws Exception {
    server
        .on("GET", P + "/backups/nightly", 404, Bodies.notFound("Backup nightly"))
        .on("GET", P + "/backups", 200, Bodies.backups(BK2, "older", BK1, "nightly"))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null));

    CliRunner.Result table = cli.run("backup", "show", "nightly");
    CliRunner.Result json = cli.run("--format", "json", "backup", "show", "nightly");

    assertThat(table.exitCode()).as(table.err()).isZero();
    assertThat(server.calls())
        .startsWith(
            "GET " + P + "/backups/nightly",
            "GET " + P + "/backups",
            "GET " + P + "/backups/" + BK1);
    assertThat(table.out())
        .contains("id", BK1, "instance_id", ID, "datastore", "mariadb 10.11", "checksum")
        .doesNotContain("parent_id", "fault");
    assertThat(mapper.readTree(json.out()))
        .isEqualTo(mapper.readTree(Bodies.backup(BK1, "nightly", "COMPLETED", null)));
  }

  @Test
  void showOfAFailedBackupPrintsItsFault() {
    server.on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "FAILED", null));

    CliRunner.Result result = cli.run("backup", "show", BK1);

    assertThat(result.out()).contains("FAILED", "fault", "mariadb-backup exited with 1: disk full");
  }

  @Test
  void aBackupTooSmallForTheGbRoundingIsNotShownAsEmpty() {
    server.on(
        "GET",
        P + "/backups/" + BK1,
        200,
        Bodies.backup(BK1, "nightly", "COMPLETED", null)
            .replace("\"size\":1.0E-4", "\"size\":0.0")
            .replace("\"size_bytes\":107374", "\"size_bytes\":412"));

    CliRunner.Result result = cli.run("backup", "show", BK1);

    assertThat(result.out()).contains("< 0.0001 GB", "412").doesNotContain("0 GB\n");
  }

  @Test
  void anUnknownBackupPointsAtTheBackupList() {
    server
        .on("GET", P + "/backups/nope", 404, Bodies.notFound("Backup nope"))
        .on("GET", P + "/backups", 200, Bodies.backups(BK1, "nightly"));

    CliRunner.Result result = cli.run("backup", "show", "nope");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("error: Backup nope could not be found.")
        .contains("hint: check the name with 'coffer backup list'");
  }

  @Test
  void anAmbiguousBackupNameIsRefusedWithTheIds() {
    server
        .on("GET", P + "/backups/nightly", 404, Bodies.notFound("Backup nightly"))
        .on("GET", P + "/backups", 200, Bodies.backups(BK1, "nightly", BK2, "nightly"));

    CliRunner.Result result = cli.run("backup", "delete", "nightly");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("2 backups are named nightly", BK1, BK2, "give the id");
    assertThat(server.calls()).noneMatch(c -> c.startsWith("DELETE"));
  }

  @Test
  void deleteByNameDeletesByIdAndSaysIncrementalsGoWithIt() {
    server
        .on("GET", P + "/backups/nightly", 404, Bodies.notFound("Backup nightly"))
        .on("GET", P + "/backups", 200, Bodies.backups(BK1, "nightly"))
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "COMPLETED", null))
        .on("DELETE", P + "/backups/" + BK1, 202, "");

    CliRunner.Result result = cli.run("backup", "delete", "nightly");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(server.calls())
        .containsExactly(
            "GET " + P + "/backups/nightly",
            "GET " + P + "/backups",
            "GET " + P + "/backups/" + BK1,
            "DELETE " + P + "/backups/" + BK1);
    assertThat(result.out())
        .contains("Deleted backup nightly (" + BK1 + ")", "incremental backups built on it");
  }

  @Test
  void deletingARunningBackupSaysToWaitForIt() {
    server
        .on("GET", P + "/backups/" + BK1, 200, Bodies.backup(BK1, "nightly", "BUILDING", null))
        .on(
            "DELETE",
            P + "/backups/" + BK1,
            422,
            "{\"unprocessableEntity\":{\"code\":422,\"message\":\"Backup "
                + BK1
                + " cannot be deleted because it is running.\"}}");

    CliRunner.Result result = cli.run("backup", "delete", BK1);

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err())
        .contains("cannot be deleted because it is running")
        .contains("hint: wait until 'coffer backup show " + BK1 + "' says COMPLETED");
  }

  @Test
  void createWithAContainerSendsTroveSwiftContainer() throws Exception {
    server
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backups", 202, Bodies.backup(BK1, "nightly", "NEW", null));

    CliRunner.Result result = cli.run("backup", "create", ID, "nightly", "--container", "offsite");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(mapper.readTree(server.last("POST", P + "/backups").body()).at("/backup"))
        .isEqualTo(
            mapper.readTree(
                """
                {"name":"nightly","instance":"%s","incremental":0,"swift_container":"offsite"}
                """
                    .formatted(ID)));
  }

  @Test
  void scheduleSetWithVerifyAsksForRestoreDrillsAndShowSaysSo() throws Exception {
    String schedule =
        """
        {"backup_schedule":{"instance_id":"%s","cron":"0 3 * * *","incremental":false,
         "verify":true,"keep_last":7,"keep_daily":7,"keep_weekly":4,"keep_monthly":6,
         "next_run_at":"2026-11-25T03:00:00Z"}}
        """
            .formatted(ID);
    server
        .on("GET", P + "/instances/db1", 404, Bodies.notFound("Instance db1"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("PUT", P + "/instances/" + ID + "/backup_schedule", 200, schedule)
        .on("GET", P + "/instances/" + ID + "/backup_schedule", 200, schedule);

    CliRunner.Result set =
        cli.run("backup", "schedule", "set", "db1", "--cron", "0 3 * * *", "--verify");

    assertThat(set.exitCode()).as(set.err()).isZero();
    assertThat(
            mapper
                .readTree(server.last("PUT", P + "/instances/" + ID + "/backup_schedule").body())
                .at("/backup_schedule/verify")
                .asBoolean())
        .isTrue();
    assertThat(cli.run("backup", "schedule", "show", ID).out()).containsPattern("verify +true");
  }

  @Test
  void strategySetListAndDeleteSpeakTrovesBackupStrategies() throws Exception {
    String strategy =
        """
        {"backup_strategy":{"project_id":"p1","instance_id":"%s","backend":"file",
         "swift_container":"my-db-backups"}}
        """
            .formatted(ID);
    server
        .on("GET", P + "/instances/db1", 404, Bodies.notFound("Instance db1"))
        .on("GET", P + "/instances", 200, Bodies.instances(ID, "db1"))
        .on("GET", P + "/instances/" + ID, 200, Bodies.instance(ID, "db1", "ACTIVE"))
        .on("POST", P + "/backup_strategies", 202, strategy)
        .on(
            "GET",
            P + "/backup_strategies",
            200,
            """
            {"backup_strategies":[
             {"project_id":"p1","instance_id":"","backend":"file","swift_container":"proj"},
             {"project_id":"p1","instance_id":"%s","backend":"file","swift_container":"mine"}]}
            """
                .formatted(ID))
        .on("DELETE", P + "/backup_strategies?instance_id=" + ID, 202, "")
        .on("DELETE", P + "/backup_strategies", 202, "");

    CliRunner.Result set =
        cli.run("backup", "strategy", "set", "--instance", "db1", "--container", "my-db-backups");
    assertThat(set.exitCode()).as(set.err()).isZero();
    assertThat(mapper.readTree(server.last("POST", P + "/backup_strategies").body()))
        .isEqualTo(
            mapper.readTree(
                """
                {"backup_strategy":{"instance_id":"%s","swift_container":"my-db-backups"}}
                """
                    .formatted(ID)));
    assertThat(set.out()).contains("my-db-backups", "earlier ones stay");

    CliRunner.Result project = cli.run("backup", "strategy", "create", "--container", "proj");
    assertThat(project.exitCode()).as(project.err()).isZero();
    assertThat(mapper.readTree(server.last("POST", P + "/backup_strategies").body()))
        .isEqualTo(mapper.readTree("{\"backup_strategy\":{\"swift_container\":\"proj\"}}"));

    assertThat(cli.run("backup", "strategy", "list").out())
        .containsPattern("\\(project\\) +proj +file")
        .containsPattern(ID + " +mine +file");

    assertThat(cli.run("backup", "strategy", "delete", "--instance", ID).exitCode()).isZero();
    assertThat(cli.run("backup", "strategy", "delete").exitCode()).isZero();
    assertThat(server.calls())
        .contains(
            "DELETE " + P + "/backup_strategies?instance_id=" + ID,
            "DELETE " + P + "/backup_strategies");
  }
}

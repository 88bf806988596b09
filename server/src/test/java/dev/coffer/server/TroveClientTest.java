package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real {@code openstack database ...} client (Debian's python3-troveclient) works against
 * Coffer unmodified. Runs only where the client is installed; .ci/run installs it.
 */
class TroveClientTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/openstack")), "python3-troveclient is not installed");
    coffer = TestCoffer.start();
  }

  @AfterAll
  static void stop() {
    if (coffer != null) {
      coffer.close();
    }
  }

  record Result(int exit, String out) {}

  static Result openstack(String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "openstack",
                "--os-auth-type",
                "admin_token",
                "--os-endpoint",
                coffer.url() + "/v1.0/" + coffer.project,
                "--os-token",
                coffer.token));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static String ok(String... args) throws Exception {
    Result r = openstack(args);
    assertThat(r.exit()).as(String.join(" ", args) + "\n" + r.out()).isZero();
    return r.out();
  }

  @Test
  void theOpenstackDatabaseClientManagesAnInstanceItsDatabasesAndUsers() throws Exception {
    assertThat(ok("datastore", "list")).contains("mariadb", "postgresql", "redis");
    assertThat(ok("datastore", "version", "list", "mariadb")).contains("10.11");
    assertThat(ok("database", "flavor", "list")).contains("m1.small");
    assertThat(ok("database", "flavor", "show", "m1.small")).contains("m1.small");

    ok(
        "database",
        "instance",
        "create",
        "trove-db",
        "--flavor",
        "m1.tiny",
        "--size",
        "1",
        "--datastore",
        "mariadb",
        "--datastore-version",
        "10.11",
        "--databases",
        "appdb",
        "--users",
        "app:Secret-1");
    String id = ok("database", "instance", "show", "trove-db", "-f", "value", "-c", "id").strip();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                ok("database", "instance", "show", id, "-f", "value", "-c", "status")
                    .strip()
                    .equals("ACTIVE"));
    assertThat(ok("database", "instance", "list")).contains("trove-db").contains("ACTIVE");

    ok("database", "db", "create", id, "sales");
    assertThat(ok("database", "db", "list", id)).contains("appdb").contains("sales");
    ok("database", "user", "create", id, "bob", "Bob-pass-1", "--databases", "sales");
    assertThat(ok("database", "user", "list", id)).contains("bob").contains("app");
    assertThat(ok("database", "user", "show", id, "bob")).contains("bob");
    ok("database", "user", "grant", "access", id, "bob", "appdb");
    assertThat(ok("database", "user", "show", "access", id, "bob")).contains("appdb");
    ok("database", "user", "revoke", "access", id, "bob", "appdb");
    ok("database", "user", "delete", id, "bob");
    ok("database", "db", "delete", id, "sales");
    assertThat(ok("database", "root", "enable", id)).contains("root");
    ok("database", "instance", "update", id, "--is-private", "--allowed-cidr", "10.1.0.0/16");
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + id))
                .body()
                .at("/instance/access/allowed_cidrs/0")
                .asText())
        .isEqualTo("10.1.0.0/16");
    ok("database", "instance", "update", id, "--allowed-cidr", "127.0.0.0/8");

    ok("database", "backup", "create", "bk1", "--instance", "trove-db", "--description", "nightly");
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                ok("database", "backup", "show", "bk1", "-f", "value", "-c", "status")
                    .strip()
                    .equals("COMPLETED"));
    assertThat(ok("database", "backup", "list")).contains("bk1").contains("COMPLETED");
    assertThat(ok("database", "backup", "list", "instance", "trove-db")).contains("bk1");
    ok(
        "database",
        "instance",
        "create",
        "trove-restored",
        "--flavor",
        "m1.tiny",
        "--size",
        "1",
        "--datastore",
        "mariadb",
        "--datastore-version",
        "10.11",
        "--backup",
        "bk1");
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                ok("database", "instance", "show", "trove-restored", "-f", "value", "-c", "status")
                    .strip()
                    .equals("ACTIVE"));
    assertThat(ok("database", "db", "list", "trove-restored")).contains("appdb");
    ok("database", "instance", "delete", "trove-restored");
    ok("database", "backup", "delete", "bk1");

    ok("database", "instance", "delete", "trove-db");
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> openstack("database", "instance", "show", id).exit() != 0);
  }

  @Test
  void theOpenstackDatabaseClientCreatesPromotesEjectsAndDetachesReplicas() throws Exception {
    ok(
        "database",
        "instance",
        "create",
        "trove-primary",
        "--flavor",
        "m1.tiny",
        "--size",
        "1",
        "--datastore",
        "mariadb",
        "--databases",
        "appdb",
        "--users",
        "app:Secret-1");
    String primary =
        ok("database", "instance", "show", "trove-primary", "-f", "value", "-c", "id").strip();
    awaitStatus(primary, "ACTIVE");
    ok("database", "instance", "create", "trove-replica", "--replica-of", "trove-primary");
    String replica =
        ok("database", "instance", "show", "trove-replica", "-f", "value", "-c", "id").strip();
    awaitStatus(replica, "ACTIVE");
    assertThat(ok("database", "instance", "show", "trove-replica")).contains(primary);
    assertThat(ok("database", "instance", "show", "trove-primary")).contains(replica);

    ok("database", "instance", "promote", "trove-replica");
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              assertThat(status(replica)).isEqualTo("ACTIVE");
              assertThat(status(primary)).isEqualTo("ACTIVE");
              assertThat(
                      coffer
                          .get(coffer.v1("/instances/" + primary))
                          .body()
                          .at("/instance/replica_of/id")
                          .asText())
                  .isEqualTo(replica);
            });

    // The new primary answers heartbeats, so Trove's rule refuses an eject.
    Result eject = openstack("database", "instance", "eject", "trove-replica");
    assertThat(eject.exit()).isNotZero();
    assertThat(eject.out()).contains("cannot be ejected as it has a current heartbeat");

    ok("database", "instance", "detach", "trove-primary");
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              var shown = coffer.get(coffer.v1("/instances/" + primary)).body().at("/instance");
              assertThat(shown.has("replica_of")).isFalse();
              assertThat(shown.path("status").asText()).isEqualTo("ACTIVE");
            });
    ok("database", "instance", "delete", "trove-replica");
    ok("database", "instance", "delete", "trove-primary");
  }

  @Test
  void theOpenstackDatabaseClientManagesConfigurationGroupsAndResizes() throws Exception {
    assertThat(
            ok("database", "configuration", "parameter", "list", "10.11", "--datastore", "mariadb"))
        .contains("max_connections")
        .contains("innodb_buffer_pool_size");
    assertThat(
            ok(
                "database",
                "configuration",
                "parameter",
                "show",
                "10.11",
                "max_connections",
                "--datastore",
                "mariadb"))
        .contains("max_connections");
    ok(
        "database",
        "configuration",
        "create",
        "cfg1",
        "{\"max_connections\": 200, \"connect_timeout\": 20}",
        "--datastore",
        "mariadb",
        "--datastore-version",
        "10.11");
    assertThat(ok("database", "configuration", "list")).contains("cfg1");
    Result bad =
        openstack(
            "database",
            "configuration",
            "create",
            "cfg-bad",
            "{\"max_connections\": 0}",
            "--datastore",
            "mariadb",
            "--datastore-version",
            "10.11");
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.out()).contains("max_connections");
    ok(
        "database",
        "instance",
        "create",
        "trove-tuned",
        "--flavor",
        "m1.tiny",
        "--size",
        "1",
        "--datastore",
        "mariadb",
        "--datastore-version",
        "10.11");
    String id =
        ok("database", "instance", "show", "trove-tuned", "-f", "value", "-c", "id").strip();
    awaitStatus(id, "ACTIVE");
    ok("database", "configuration", "attach", "trove-tuned", "cfg1");
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> ok("database", "configuration", "default", "trove-tuned").contains("200"));
    assertThat(ok("database", "configuration", "instances", "cfg1")).contains("trove-tuned");
    // Like Trove's client, "parameter set" takes the group's id, not its name.
    String cfg = ok("database", "configuration", "show", "cfg1", "-f", "value", "-c", "id").strip();
    ok("database", "configuration", "parameter", "set", cfg, "{\"max_connections\": 300}");
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> ok("database", "configuration", "default", "trove-tuned").contains("300"));
    ok("database", "configuration", "detach", "trove-tuned");
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> !ok("database", "configuration", "instances", "cfg1").contains("trove-tuned"));
    ok("database", "configuration", "delete", "cfg1");

    ok("database", "instance", "resize", "volume", "trove-tuned", "2");
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                status(id).equals("ACTIVE")
                    && coffer
                            .get(coffer.v1("/instances/" + id))
                            .body()
                            .at("/instance/volume/size")
                            .asInt()
                        == 2);
    ok("database", "instance", "resize", "flavor", "trove-tuned", "m1.small");
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                status(id).equals("ACTIVE")
                    && coffer
                        .get(coffer.v1("/instances/" + id))
                        .body()
                        .at("/instance/flavor/id")
                        .asText()
                        .equals("2"));
    ok("database", "instance", "delete", "trove-tuned");
  }

  private static String status(String id) throws Exception {
    return ok("database", "instance", "show", id, "-f", "value", "-c", "status").strip();
  }

  private static void awaitStatus(String id, String expected) {
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> status(id).equals(expected));
  }

  @Test
  void theOpenstackDatabaseClientListsShowsAndPublishesGuestLogs() throws Exception {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"trove-logged\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    awaitStatus(id, "ACTIVE");
    assertThat(ok("database", "log", "list", id))
        .contains("server")
        .contains("SYS")
        .contains("Ready");
    assertThat(ok("database", "log", "show", id, "server"))
        .contains("server")
        .contains(id + "/redis-server_metafile");
    assertThat(ok("database", "log", "set", id, "server", "--publish")).contains("Published");
    Result refused = openstack("database", "log", "set", id, "server", "--enable");
    assertThat(refused.out()).contains("Cannot enable a SYSTEM log");
    ok("database", "instance", "delete", id);
  }

  @Test
  void theOpenstackDatabaseClientUpgradesAnInstanceToAnotherVersion() throws Exception {
    String current =
        coffer.get(coffer.v1("/datastores/redis/versions")).body().at("/versions/0/name").asText();
    var registered =
        coffer.post(
            "/coffer/v1/datastores/redis/versions",
            "{\"version\":{\"name\":\""
                + current
                + "-patched\",\"binaries\":{\"server\":\"/usr/bin/redis-server\"}}}");
    assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"trove-upgraded\",\"flavorRef\":1,"
                + "\"datastore\":{\"type\":\"redis\",\"version\":\""
                + current
                + "\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    awaitStatus(id, "ACTIVE");

    ok("database", "instance", "upgrade", "trove-upgraded", current + "-patched");
    awaitStatus(id, "ACTIVE");
    assertThat(ok("database", "instance", "show", id, "-f", "value", "-c", "datastore_version"))
        .isEqualTo(current + "-patched\n");
    assertThat(ok("database", "backup", "list", "instance", "trove-upgraded"))
        .contains("pre-upgrade");
    Result unknown = openstack("database", "instance", "upgrade", "trove-upgraded", "9.9");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.out()).contains("instance['datastore_version'] '9.9'");
    ok("database", "instance", "delete", "trove-upgraded");
  }

  @Test
  void theOpenstackDatabaseClientManagesBackupStrategies() throws Exception {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"strategy-db\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();

    String own =
        ok(
            "database",
            "backup",
            "strategy",
            "create",
            "--instance-id",
            id,
            "--swift-container",
            "my-db-backups",
            "-f",
            "json");
    assertThat(own)
        .contains("\"instance_id\": \"" + id + "\"")
        .contains("\"swift_container\": \"my-db-backups\"")
        .contains("\"backend\": \"file\"")
        .contains("\"project_id\": \"" + coffer.project + "\"");
    ok("database", "backup", "strategy", "create", "--swift-container", "proj-backups");
    String all = ok("database", "backup", "strategy", "list", "-f", "value");
    assertThat(all).contains(id + " my-db-backups").contains("proj-backups");
    assertThat(ok("database", "backup", "strategy", "list", "--instance-id", id, "-f", "value"))
        .contains("my-db-backups")
        .doesNotContain("proj-backups");

    Result unknown =
        openstack(
            "database",
            "backup",
            "strategy",
            "create",
            "--instance-id",
            "nosuch",
            "--swift-container",
            "c");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.out()).contains("Instance nosuch could not be found");
    ok("database", "backup", "strategy", "delete", "--instance-id", id);
    ok("database", "backup", "strategy", "delete");
    assertThat(ok("database", "backup", "strategy", "list", "-f", "value")).isBlank();
  }

  @Test
  void theOpenstackDatabaseClientCreatesGrowsShrinksAndDeletesARedisCluster() throws Exception {
    String instance = "--instance";
    String member = "flavor=m1.tiny,volume=1";
    String created =
        ok(
            "database",
            "cluster",
            "create",
            "trove-cl",
            "redis",
            "7.0",
            instance,
            member,
            instance,
            member,
            instance,
            member,
            "-f",
            "value",
            "-c",
            "id");
    String id = created.strip();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> ok("database", "cluster", "show", id).contains("NONE"));
    assertThat(ok("database", "cluster", "list")).contains("trove-cl").contains("redis");
    String members = ok("database", "cluster", "list", "instances", id, "-f", "value");
    assertThat(members).contains("trove-cl-member-1", "trove-cl-member-2", "trove-cl-member-3");
    // Members are instances, listed only with --include-clustered.
    assertThat(ok("database", "instance", "list")).doesNotContain("trove-cl-member-1");
    assertThat(ok("database", "instance", "list", "--include-clustered"))
        .contains("trove-cl-member-1");

    ok("database", "cluster", "grow", id, instance, member);
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                ok("database", "cluster", "show", id).contains("NONE")
                    && ok("database", "cluster", "list", "instances", id, "-f", "value")
                        .contains("trove-cl-member-4"));
    // Like Trove's, the name lookup of "instance show" skips members: take the id from the list.
    String fourth =
        ok("database", "cluster", "list", "instances", id, "-f", "value")
            .lines()
            .filter(l -> l.contains("trove-cl-member-4"))
            .findFirst()
            .orElseThrow()
            .split("\\s+")[0];
    assertThat(ok("database", "instance", "show", fourth)).contains(id);
    ok("database", "cluster", "shrink", id, fourth);
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                ok("database", "cluster", "show", id).contains("NONE")
                    && !ok("database", "cluster", "list", "instances", id, "-f", "value")
                        .contains("trove-cl-member-4"));
    Result tooSmall = openstack("database", "cluster", "shrink", id, members.split("\\s+")[0]);
    assertThat(tooSmall.exit()).isNotZero();
    assertThat(tooSmall.out()).contains("cannot safely be lowered");

    ok("database", "cluster", "delete", id);
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> !ok("database", "cluster", "list").contains("trove-cl"));
  }
}

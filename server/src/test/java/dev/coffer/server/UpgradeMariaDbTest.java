package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trove's datastore version upgrade on a real MariaDB: a full backup is taken first, the instance
 * shows UPGRADE, comes back ACTIVE on the new version with every row, and {@code mariadb-upgrade}
 * ran on its data; a version whose server does not start is rolled back to the old one, ACTIVE,
 * with a fault message saying so; bad targets are refused before anything changes.
 */
class UpgradeMariaDbTest {
  static TestCoffer coffer;
  static Path brokenDir;

  /** The executables of the installed MariaDB, by role, as discovery registers them. */
  static final Map<String, String> BINARIES =
      Map.of(
          "server", "/usr/sbin/mariadbd",
          "install_db", "/usr/bin/mariadb-install-db",
          "upgrade", "/usr/bin/mariadb-upgrade",
          "backup", "/usr/bin/mariadb-backup",
          "mbstream", "/usr/bin/mbstream",
          "binlog", "/usr/bin/mariadb-binlog",
          "client", "/usr/bin/mariadb");

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.94"));
    brokenDir = Files.createTempDirectory("coffer-broken-server");
    Files.setPosixFilePermissions(brokenDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path script = brokenDir.resolve("mariadbd");
    Files.writeString(script, "#!/bin/sh\necho 'this server refuses to start' >&2\nexit 1\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
    TestCoffer.deleteTree(brokenDir);
  }

  @Test
  void anUpgradeBacksUpFirstRunsMariadbUpgradeKeepsEveryRowAndABrokenVersionIsRolledBack()
      throws Exception {
    register("mariadb", "10.11-patched", BINARIES);
    Map<String, String> broken = new TreeMap<>(BINARIES);
    broken.put("server", brokenDir.resolve("mariadbd").toString());
    register("mariadb", "10.11-broken", broken);
    register("mariadb", "10.11-old", BINARIES);
    assertThat(
            coffer
                .patch(
                    "/coffer/v1/datastores/mariadb/versions/10.11-old",
                    "{\"state\":\"deprecated\"}")
                .status())
        .isEqualTo(200);

    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"upgraded\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"databases\":[{\"name\":\"shop\"}],\"users\":[{\"name\":\"app\","
                + "\"password\":\"Secret-1\",\"databases\":[{\"name\":\"shop\"}]}],"
                + "\"datastore\":{\"type\":\"mariadb\",\"version\":\"10.11\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    JsonNode instance = awaitActive(id);
    String url =
        "jdbc:mariadb://"
            + instance.at("/endpoint/host").asText()
            + ":"
            + instance.at("/endpoint/port").asInt()
            + "/shop";
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement()) {
      s.execute("create table t (id int primary key)");
      s.execute("insert into t values (1), (2), (3)");
    }

    // mariadb-upgrade records its runs here (MariaDB 10.11 still names it mysql_upgrade_info).
    Path instanceDir = coffer.home.resolve("instances").resolve(id);
    Path upgradeInfo = instanceDir.resolve("data/mysql_upgrade_info");
    var infoBefore = Files.getLastModifiedTime(upgradeInfo);

    // Refused before anything changes, each with the field and the reason.
    assertRefused(id, "\"9.9\"", 400, "instance['datastore_version'] '9.9' is not a version");
    assertRefused(id, "\"15\"", 400, "is a version of datastore 'postgresql'");
    assertRefused(id, "\"10.11\"", 400, "already runs datastore version '10.11'");
    assertRefused(id, "\"10.11-old\"", 400, "is deprecated");
    assertRefused(id, "5", 400, "datastore_version");
    assertThat(coffer.status(id)).hasValue("ACTIVE");

    // The upgrade: UPGRADE at once, a second one refused meanwhile, then ACTIVE on the new version.
    var upgrade = upgrade(id, "\"10.11-patched\"");
    assertThat(upgrade.status()).as(upgrade.raw()).isEqualTo(202);
    assertThat(coffer.status(id)).hasValue("UPGRADE");
    assertRefused(id, "\"10.11-broken\"", 422, "task status was UPGRADING");
    JsonNode upgraded = awaitActive(id);
    assertThat(upgraded.at("/datastore/version").asText()).isEqualTo("10.11-patched");
    assertThat(upgraded.has("fault")).as(upgraded.toString()).isFalse();
    JsonNode backup = preUpgradeBackup(id, "pre-upgrade 10.11→10.11-patched");
    assertThat(backup.path("status").asText()).isEqualTo("COMPLETED");
    assertThat(Files.getLastModifiedTime(upgradeInfo))
        .as("mariadb-upgrade ran on the data")
        .isGreaterThan(infoBefore);
    assertThat(Files.readString(instanceDir.resolve("log/mariadb-upgrade.log")))
        .startsWith("from 10.11\n")
        .contains("Phase");
    assertThat(Files.readString(instanceDir.resolve("data/.coffer-version.json")))
        .contains("\"10.11-patched\"");
    assertThat(rows(url)).isEqualTo(3);

    // A version whose server does not start: rolled back, ACTIVE on the version it had.
    var bad = upgrade(id, "\"10.11-broken\"");
    assertThat(bad.status()).as(bad.raw()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () ->
                assertThat(
                        coffer
                            .get(coffer.v1("/instances/" + id))
                            .body()
                            .at("/instance/fault/message")
                            .asText())
                    .contains("rolled back"));
    JsonNode rolledBack = awaitActive(id);
    assertThat(rolledBack.at("/datastore/version").asText()).isEqualTo("10.11-patched");
    JsonNode brokenBackup = preUpgradeBackup(id, "pre-upgrade 10.11-patched→10.11-broken");
    assertThat(rolledBack.at("/fault/message").asText())
        .startsWith("Upgrade to 10.11-broken failed: ")
        .contains("; rolled back to 10.11-patched; backup " + brokenBackup.path("id").asText())
        .contains("was taken before the upgrade.");
    assertThat(Files.readString(instanceDir.resolve("data/.coffer-version.json")))
        .contains("\"10.11-patched\"");
    assertThat(rows(url)).isEqualTo(3);

    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
  }

  static void register(String datastore, String name, Map<String, String> binaries) {
    var registered =
        coffer.post(
            "/coffer/v1/datastores/" + datastore + "/versions",
            coffer.json(Map.of("version", Map.of("name", name, "binaries", binaries))));
    assertThat(registered.status()).as(registered.raw()).isEqualTo(201);
  }

  static TestCoffer.Response upgrade(String id, String version) {
    return coffer.patch(
        coffer.v1("/instances/" + id), "{\"instance\":{\"datastore_version\":" + version + "}}");
  }

  static void assertRefused(String id, String version, int status, String message) {
    var refused = upgrade(id, version);
    assertThat(refused.status()).as(refused.raw()).isEqualTo(status);
    assertThat(refused.raw()).contains(message);
  }

  static JsonNode preUpgradeBackup(String id, String name) {
    JsonNode backups = coffer.get(coffer.v1("/backups?instance_id=" + id)).body().path("backups");
    for (JsonNode b : backups) {
      if (b.path("name").asText().equals(name)) {
        return b;
      }
    }
    throw new AssertionError("no backup named " + name + " in " + backups);
  }

  static int rows(String url) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "app", "Secret-1");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from t")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }
}

package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Backups over the Trove API with real engines: data written before a backup is all there after
 * restoring it into a new instance, later data is not, incremental chains restore whole, and a
 * tampered object is refused.
 */
class BackupRestoreTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static String createInstance(String name, String datastore, String extra) {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + extra
                + "\"datastore\":{\"type\":\""
                + datastore
                + "\"}}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().at("/instance/id").asText();
  }

  static String restore(String name, String backupId) {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"restorePoint\":{\"backupRef\":\""
                + backupId
                + "\"}}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().at("/instance/id").asText();
  }

  static JsonNode awaitActive(String id) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(id)).hasValue("ACTIVE"));
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  static JsonNode backup(String instanceId, String name, String extra) {
    var r =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\""
                + name
                + "\",\"instance\":\""
                + instanceId
                + "\""
                + extra
                + "}}");
    assertThat(r.status()).as(r.raw()).isEqualTo(202);
    assertThat(r.body().at("/backup/status").asText()).isEqualTo("NEW");
    String id = r.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                !List.of("NEW", "BUILDING")
                    .contains(
                        coffer
                            .get(coffer.v1("/backups/" + id))
                            .body()
                            .at("/backup/status")
                            .asText()));
    JsonNode done = coffer.get(coffer.v1("/backups/" + id)).body().path("backup");
    assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(done.path("checksum").asText()).hasSize(64);
    assertThat(done.path("size_bytes").asLong()).isPositive();
    assertThat(done.path("locationRef").asText()).startsWith("file:");
    awaitActive(instanceId);
    return done;
  }

  /** Runs a restore drill and returns the backup as the drill left it. */
  static JsonNode drill(String backupId) {
    assertThat(coffer.post(coffer.v1("/backups/" + backupId + "/verify"), null).status())
        .isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                !coffer
                    .get(coffer.v1("/backups/" + backupId))
                    .body()
                    .at("/backup/verify_report")
                    .isNull());
    JsonNode backup = coffer.get(coffer.v1("/backups/" + backupId)).body().path("backup");
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                coffer.get(coffer.v1("/instances/drill-" + backupId)).status() == 404
                    && !coffer.get(coffer.v1("/instances")).raw().contains("drill-" + backupId));
    return backup;
  }

  static String url(JsonNode instance, String prefix, String db) {
    return prefix
        + instance.at("/endpoint/host").asText()
        + ":"
        + instance.at("/endpoint/port").asInt()
        + "/"
        + db;
  }

  static void sql(String url, String user, String password, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  static List<Integer> ids(String url, String user, String password) throws Exception {
    List<Integer> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select id from t order by id")) {
      while (rs.next()) {
        ids.add(rs.getInt(1));
      }
    }
    return ids;
  }

  @Test
  void aMariaDbChainOfFullAndTwoIncrementalsRestoresEveryStep() throws Exception {
    String source =
        createInstance(
            "shop",
            "mariadb",
            "\"databases\":[{\"name\":\"shop\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"shop\"}]}],");
    String url = url(awaitActive(source), "jdbc:mariadb://", "shop");
    sql(url, "app", "Secret-1", "create table t (id int primary key)");
    sql(url, "app", "Secret-1", "insert into t values (1)");
    JsonNode full = backup(source, "full", "");
    sql(url, "app", "Secret-1", "insert into t values (2)");
    JsonNode inc1 = backup(source, "inc1", ",\"incremental\":1");
    assertThat(inc1.path("parent_id").asText()).isEqualTo(full.path("id").asText());
    sql(url, "app", "Secret-1", "insert into t values (3)");
    JsonNode inc2 = backup(source, "inc2", ",\"parent_id\":\"" + inc1.path("id").asText() + "\"");
    sql(url, "app", "Secret-1", "insert into t values (4)");

    JsonNode drilled = drill(inc2.path("id").asText());
    assertThat(drilled.path("verify_report").asText())
        .startsWith("consistent; 3 rows")
        .contains("CHECK TABLE");
    assertThat(drilled.path("verified_at").isNull()).isFalse();
    assertThat(drilled.path("restore_seconds").asDouble()).isPositive();

    String restored = restore("shop-restored", inc2.path("id").asText());
    assertThat(ids(url(awaitActive(restored), "jdbc:mariadb://", "shop"), "app", "Secret-1"))
        .containsExactly(1, 2, 3);
    String fromFull = restore("shop-full", full.path("id").asText());
    assertThat(ids(url(awaitActive(fromFull), "jdbc:mariadb://", "shop"), "app", "Secret-1"))
        .containsExactly(1);

    assertThat(coffer.get(coffer.v1("/instances/" + source + "/backups")).body().path("backups"))
        .hasSize(3);
    // Deleting the full backup deletes the incrementals built on it.
    assertThat(coffer.delete(coffer.v1("/backups/" + full.path("id").asText())).status())
        .isEqualTo(202);
    assertThat(coffer.get(coffer.v1("/backups/" + inc2.path("id").asText())).status())
        .isEqualTo(404);
    List<String> deleted =
        List.of(full.path("id").asText(), inc1.path("id").asText(), inc2.path("id").asText());
    try (Stream<Path> left = Files.walk(coffer.home.resolve("backups"))) {
      assertThat(left.map(Path::toString).filter(p -> deleted.stream().anyMatch(p::contains)))
          .isEmpty();
    }
  }

  @Test
  void aPostgresBackupRestoresRowsWrittenBeforeItAndRefusesIncrementals() throws Exception {
    String source =
        createInstance(
            "ledger",
            "postgresql",
            "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],");
    String url = url(awaitActive(source), "jdbc:postgresql://", "ledger");
    sql(url, "app", "Secret-1", "create table t (id int primary key)");
    sql(url, "app", "Secret-1", "insert into t values (1)");
    JsonNode full = backup(source, "pg-full", "");
    sql(url, "app", "Secret-1", "insert into t values (2)");
    var incremental =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"pg-inc\",\"instance\":\"" + source + "\",\"incremental\":1}}");
    assertThat(incremental.status()).isEqualTo(400);
    assertThat(incremental.body().at("/badRequest/message").asText())
        .contains("'postgresql' datastore");

    assertThat(drill(full.path("id").asText()).path("verify_report").asText())
        .startsWith("consistent; 1 rows or keys")
        .contains("amcheck");
    String restored = restore("ledger-restored", full.path("id").asText());
    assertThat(ids(url(awaitActive(restored), "jdbc:postgresql://", "ledger"), "app", "Secret-1"))
        .containsExactly(1);
  }

  @Test
  void aPostgresInstanceRestoresToAMomentBetweenTwoWritesMadeAfterItsBackup() throws Exception {
    deleteEveryInstance();
    String source =
        createInstance(
            "journal",
            "postgresql",
            "\"databases\":[{\"name\":\"journal\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"journal\"}]}],");
    String url = url(awaitActive(source), "jdbc:postgresql://", "journal");
    sql(url, "app", "Secret-1", "create table t (id int primary key)");
    String backupId = backup(source, "journal-full", "").path("id").asText();
    Instant backupDone = Instant.now();
    sql(url, "app", "Secret-1", "insert into t values (1)");
    Instant between = Instant.now();
    await().until(() -> Instant.now().isAfter(between.plusMillis(500)));
    sql(url, "app", "Secret-1", "insert into t values (2)");

    // Times the archive cannot give are refused before any instance exists, naming the field.
    for (String bad :
        List.of(
            "yesterday",
            Instant.now().plusSeconds(3600).toString(),
            backupDone.minusSeconds(3600).toString())) {
      var refused = restoreAt("journal-bad", backupId, bad);
      assertThat(refused.status()).as(refused.raw()).isEqualTo(400);
      assertThat(refused.body().at("/badRequest/message").asText())
          .contains("instance['restorePoint']['restore_time']");
    }
    assertThat(coffer.get(coffer.v1("/instances/journal-bad")).status()).isEqualTo(404);

    // The source is alive: it is asked to archive up to now, so "a moment ago" is restorable.
    var accepted = restoreAt("journal-between", backupId, between.toString());
    assertThat(accepted.status()).as(accepted.raw()).isEqualTo(200);
    String restored = accepted.body().at("/instance/id").asText();
    assertThat(ids(url(awaitActive(restored), "jdbc:postgresql://", "journal"), "app", "Secret-1"))
        .containsExactly(1);
    String latest =
        coffer
            .get(coffer.v1("/instances/" + source))
            .body()
            .at("/instance/latest_restorable_time")
            .asText();
    assertThat(LocalDateTime.parse(latest).toInstant(ZoneOffset.UTC))
        .isAfter(between.minusSeconds(1));
    deleteAndAwaitGone(restored);
    deleteAndAwaitGone(source);

    // The source's archive lives as long as its backups; with the last one it goes too.
    // (Other tests' instances archive too: exactly one archive must disappear.)
    Path wal = coffer.home.resolve("backups/wal");
    Set<Path> before = archivesWithFiles(wal);
    assertThat(coffer.delete(coffer.v1("/backups/" + backupId)).status()).isEqualTo(202);
    Set<Path> gone = new HashSet<>(before);
    gone.removeAll(archivesWithFiles(wal));
    assertThat(gone).hasSize(1);
  }

  @Test
  void aMariaDbInstanceRestoresToAMomentBetweenTwoWritesAndPrunesBinaryLogsWithItsBackups()
      throws Exception {
    deleteEveryInstance();
    Path wal = coffer.home.resolve("backups/wal");
    Set<Path> archivesBefore = archiveDirectories(wal);
    String source =
        createInstance(
            "orders",
            "mariadb",
            "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],");
    String url = url(awaitActive(source), "jdbc:mariadb://", "ledger");
    sql(url, "app", "Secret-1", "create table t (id int primary key)");
    String firstBackup = backup(source, "orders-full", "").path("id").asText();
    sql(url, "app", "Secret-1", "insert into t values (1)");
    // Binary log times are whole seconds: the writes are a whole second away from the target.
    Instant between = nextWholeSecond().truncatedTo(ChronoUnit.SECONDS);
    nextWholeSecond();
    sql(url, "app", "Secret-1", "insert into t values (2)");

    // The source is alive: it is asked to archive up to now, so "a moment ago" is restorable.
    var accepted = restoreAt("orders-between", firstBackup, between.toString());
    assertThat(accepted.status()).as(accepted.raw()).isEqualTo(200);
    Set<Path> mine = archiveDirectories(wal);
    mine.removeAll(archivesBefore);
    assertThat(mine).hasSize(1);
    Path archive = wal.resolve(mine.iterator().next());
    String restored = accepted.body().at("/instance/id").asText();
    assertThat(ids(url(awaitActive(restored), "jdbc:mariadb://", "ledger"), "app", "Secret-1"))
        .containsExactly(1);
    String latest =
        coffer
            .get(coffer.v1("/instances/" + source))
            .body()
            .at("/instance/latest_restorable_time")
            .asText();
    assertThat(LocalDateTime.parse(latest).toInstant(ZoneOffset.UTC)).isAfter(between);
    deleteAndAwaitGone(restored);

    // A newer full backup, then the source's last binary log is archived as it is deleted.
    String secondBackup = backup(source, "orders-full-2", "").path("id").asText();
    deleteAndAwaitGone(source);
    List<String> binlogs = binaryLogs(archive);
    assertThat(binlogs).hasSizeGreaterThanOrEqualTo(2);

    // Deleting the older backup prunes the binary logs only it needed; the last one takes all.
    assertThat(coffer.delete(coffer.v1("/backups/" + firstBackup)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(binaryLogs(archive))
                    .doesNotContain(binlogs.get(0))
                    .contains(binlogs.get(binlogs.size() - 1)));
    assertThat(coffer.delete(coffer.v1("/backups/" + secondBackup)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(archivesWithFiles(wal)).doesNotContain(archive.getFileName()));
  }

  /** Waits until the next whole second has begun and returns the time then. */
  static Instant nextWholeSecond() {
    Instant next = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    await().pollInterval(Duration.ofMillis(20)).until(() -> !Instant.now().isBefore(next));
    return Instant.now();
  }

  static Set<Path> archiveDirectories(Path wal) throws IOException {
    if (!Files.isDirectory(wal)) {
      return new HashSet<>();
    }
    try (Stream<Path> dirs = Files.list(wal)) {
      return new HashSet<>(dirs.map(Path::getFileName).toList());
    }
  }

  /** The binary log files in an archive directory, in order. */
  static List<String> binaryLogs(Path archive) throws IOException {
    if (!Files.isDirectory(archive)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(archive)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(name -> name.matches("binlog\\.\\d{6}"))
          .sorted()
          .toList();
    }
  }

  static Set<Path> archivesWithFiles(Path wal) throws IOException {
    Set<Path> archives = new HashSet<>();
    try (Stream<Path> files = Files.walk(wal)) {
      files.filter(Files::isRegularFile).forEach(f -> archives.add(wal.relativize(f).getName(0)));
    }
    return archives;
  }

  /** Other tests leave instances behind; the project's instance quota must not decide order. */
  static void deleteEveryInstance() {
    for (JsonNode instance : coffer.get(coffer.v1("/instances")).body().path("instances")) {
      deleteAndAwaitGone(instance.path("id").asText());
    }
  }

  static void deleteAndAwaitGone(String id) {
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> coffer.get(coffer.v1("/instances/" + id)).status() == 404);
  }

  @Test
  void restoreTimeIsRefusedForEnginesWithoutALogArchive() {
    String redis = createInstance("cache-pitr", "redis", "");
    awaitActive(redis);
    String backupId = backup(redis, "cache-pitr-full", "").path("id").asText();
    var refused = restoreAt("cache-pitr-restored", backupId, Instant.now().toString());
    assertThat(refused.status()).as(refused.raw()).isEqualTo(400);
    assertThat(refused.body().at("/badRequest/message").asText())
        .isEqualTo(
            "The 'point_in_time_recovery' operation is not supported for the 'redis' datastore.");
    deleteAndAwaitGone(redis);
  }

  static TestCoffer.Response restoreAt(String name, String backupId, String time) {
    return coffer.post(
        coffer.v1("/instances"),
        "{\"instance\":{\"name\":\""
            + name
            + "\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
            + "\"restorePoint\":{\"backupRef\":\""
            + backupId
            + "\",\"restore_time\":\""
            + time
            + "\"}}}");
  }

  @Test
  void aRedisBackupRestoresKeysAndUsersAndATamperedBackupIsRefused() throws Exception {
    String source =
        createInstance(
            "cache", "redis", "\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\"}],");
    JsonNode instance = awaitActive(source);
    try (Jedis jedis =
        new Jedis(instance.at("/endpoint/host").asText(), instance.at("/endpoint/port").asInt())) {
      jedis.auth("app", "Secret-1");
      for (int i = 0; i < 1000; i++) {
        jedis.set("k" + i, "v" + i);
      }
    }
    JsonNode full = backup(source, "rdb", "");
    assertThat(drill(full.path("id").asText()).path("verify_report").asText())
        .startsWith("consistent; 1000 rows or keys");
    String restored = restore("cache-restored", full.path("id").asText());
    JsonNode copy = awaitActive(restored);
    try (Jedis jedis =
        new Jedis(copy.at("/endpoint/host").asText(), copy.at("/endpoint/port").asInt())) {
      jedis.auth("app", "Secret-1");
      assertThat(jedis.dbSize()).isEqualTo(1000);
      assertThat(jedis.get("k999")).isEqualTo("v999");
    }

    // Flip one byte in the middle of the stored object: the restore must refuse it.
    Path object;
    try (Stream<Path> files = Files.walk(coffer.home.resolve("backups"))) {
      object =
          files
              .filter(p -> p.toString().endsWith(full.path("id").asText() + ".backup"))
              .findFirst()
              .orElseThrow();
    }
    try (RandomAccessFile file = new RandomAccessFile(object.toFile(), "rw")) {
      long middle = file.length() / 2;
      file.seek(middle);
      int b = file.read();
      file.seek(middle);
      file.write(b ^ 0xff);
    }
    String tampered = restore("cache-tampered", full.path("id").asText());
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(coffer.status(tampered)).hasValue("ERROR"));
    assertThat(
            coffer
                .get(coffer.v1("/instances/" + tampered))
                .body()
                .at("/instance/fault/message")
                .asText())
        .containsIgnoringCase("backup");
  }

  @Test
  void aBackupCutOffByTheAgentDyingEndsFailedAndTheInstanceReturnsToActive() throws Exception {
    String source = createInstance("cutoff", "mariadb", "");
    awaitActive(source);
    var r =
        coffer.post(
            coffer.v1("/backups"),
            "{\"backup\":{\"name\":\"cut\",\"instance\":\"" + source + "\"}}");
    String id = r.body().at("/backup/id").asText();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + id))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .equals("BUILDING"));
    assertThat(coffer.status(source)).hasValue("BACKUP");
    long agent =
        Long.parseLong(
            Files.readString(coffer.home.resolve("instances").resolve(source).resolve("agent.pid"))
                .strip());
    ProcessHandle.of(agent).orElseThrow().destroyForcibly();
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                coffer
                    .get(coffer.v1("/backups/" + id))
                    .body()
                    .at("/backup/status")
                    .asText()
                    .equals("FAILED"));
    assertThat(coffer.get(coffer.v1("/backups/" + id)).body().at("/backup/fault/message").asText())
        .contains("interrupted");
    awaitActive(source);
    Path store = coffer.home.resolve("backups");
    if (Files.exists(store)) {
      try (Stream<Path> files = Files.walk(store)) {
        assertThat(files.map(Path::toString).filter(p -> p.endsWith(id + ".backup"))).isEmpty();
      }
    }
  }

  @Test
  void restoringAnUnknownBackupIs404AndBackupsOfUnknownInstances404() {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"x\",\"flavorRef\":\"1\",\"restorePoint\":{\"backupRef\":\"nosuch\"}}}");
    assertThat(r.status()).isEqualTo(404);
    var b =
        coffer.post(coffer.v1("/backups"), "{\"backup\":{\"name\":\"b\",\"instance\":\"nosuch\"}}");
    assertThat(b.status()).isEqualTo(404);
    var missing = coffer.post(coffer.v1("/backups"), "{\"backup\":{\"name\":\"b\"}}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.body().at("/badRequest/message").asText()).isEqualTo("instance is missing.");
  }
}

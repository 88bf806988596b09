package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.backups.BackupRunner;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.BackupRequest;
import dev.coffer.api.agent.BackupResult;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.Json;
import dev.coffer.api.agent.LogArchive;
import dev.coffer.api.agent.LogArchiveStatus;
import dev.coffer.api.agent.RestoreRequest;
import dev.coffer.api.agent.RestoreSource;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.storage.BackupStoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Point-in-time recovery of a real MariaDB server: a mariadb-backup backup and the binary log
 * archived after it go through the agent into a file store; other servers are restored to moments
 * between writes made after the backup. Binary log times are whole seconds, so the writes are a
 * whole second apart from the target times.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MariaDbPointInTimeRecoveryTest {
  private static final String ARCHIVE = "wal/source";

  private Path storeDir;
  private Map<String, String> store;
  private final String logKey = DataKey.generate().toBase64();
  private final String backupKey = DataKey.generate().toBase64();
  private EngineFixture source;
  private BackupRunner sourceRunner;
  private final List<EngineFixture> targets = new ArrayList<>();
  private BackupResult backup;
  private RestoreSource base;
  private Instant betweenTheWrites;
  private Instant afterSecondWrite;
  private LogArchiveStatus flushed;

  @BeforeAll
  void backUpThenWriteTwiceWithASecondBetween() throws Exception {
    storeDir = Files.createTempDirectory("coffer-pitr-store");
    store = BackupStoreConfig.file(storeDir).toMap();
    source = EngineFixture.create(new MariaDbEngineFactory(), 256);
    sourceRunner = runner(source);
    source.engine().initialize();
    sourceRunner.configureLogArchive(new LogArchive(store, ARCHIVE, logKey));
    source.engine().start();
    source.engine().createDatabase(DatabaseSpec.named("ledger"));
    source.engine().createUser(new UserSpec("ada", "%", "ada-Secret1", List.of("ledger")));
    execute(source, "CREATE TABLE entries (note VARCHAR(20) PRIMARY KEY)");

    backup = sourceRunner.backup(new BackupRequest("b1", "backups/b1.cfb", store, backupKey, null));
    base = new RestoreSource("backups/b1.cfb", backupKey, backup.checksum(), backup.engine());

    execute(source, "INSERT INTO entries VALUES ('first')");
    betweenTheWrites = nextWholeSecond();
    nextWholeSecond();
    execute(source, "INSERT INTO entries VALUES ('second')");
    afterSecondWrite = nextWholeSecond();
    flushed = sourceRunner.flushLogArchive();
  }

  /** Waits until the next whole second has begun and returns the time then. */
  private static Instant nextWholeSecond() {
    Instant next = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    await().pollInterval(Duration.ofMillis(20)).until(() -> !Instant.now().isBefore(next));
    return Instant.now();
  }

  @AfterAll
  void removeEverything() throws IOException {
    for (EngineFixture target : targets) {
      target.close();
    }
    if (source != null) {
      source.close();
    }
    if (storeDir != null) {
      try (Stream<Path> paths = Files.walk(storeDir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Test
  void aBackupRecordsWhereInTheBinaryLogItEnds() {
    assertThat(backup.engine().position().get("binlog_file")).matches("binlog\\.\\d{6}");
    assertThat(backup.engine().position().get("binlog_pos")).matches("\\d+");
  }

  @Test
  void flushingTheArchiveShipsTheBinaryLogUpToTheMomentItWasAskedFor() throws IOException {
    assertThat(Instant.parse(flushed.archivedUntil())).isAfterOrEqualTo(afterSecondWrite);
    assertThat(sourceRunner.logArchivedUntil()).get().matches(t -> !t.isBefore(afterSecondWrite));
    List<String> objects;
    try (Stream<Path> files = Files.list(storeDir.resolve(ARCHIVE))) {
      objects = files.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertThat(objects).anyMatch(name -> name.matches("binlog\\.\\d{6}"));
    assertThat(objects)
        .filteredOn(name -> name.matches("binlog\\.\\d{6}"))
        .allMatch(name -> objects.contains(name + ".sha256"));
    // Shipped files leave the spool, and spooled files leave the server.
    try (Stream<Path> spooled = Files.list(MariaDbEngine.binaryLogSpool(source.context()))) {
      assertThat(spooled.filter(p -> !p.getFileName().toString().startsWith("."))).isEmpty();
    }
    // The server keeps a closed file until InnoDB's checkpoint passed it; a later pass purges it.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              sourceRunner.shipLog();
              return binaryLogFilesOnTheServer() == 1;
            });
  }

  private long binaryLogFilesOnTheServer() throws IOException {
    try (Stream<Path> kept = Files.list(source.context().dataDir())) {
      return kept.filter(p -> p.getFileName().toString().matches("binlog\\.\\d{6}")).count();
    }
  }

  @Test
  void aRestoreToAMomentBetweenTwoWritesHasTheFirstAndNotTheSecond() throws Exception {
    EngineFixture target = restoreTo(betweenTheWrites);
    target.engine().start();
    assertThat(notes(target)).containsExactly("first");
    execute(target, "INSERT INTO entries VALUES ('third')");
    assertThat(notes(target)).containsExactly("first", "third");
  }

  @Test
  void aRestoreToTheFlushedMomentHasBothWrites() throws Exception {
    EngineFixture target = restoreTo(Instant.parse(flushed.archivedUntil()));
    target.engine().start();
    assertThat(notes(target)).containsExactly("first", "second");
    assertThat(target.context().instanceDir().resolve("binlog-replay.tmp")).doesNotExist();
  }

  @Test
  void aTimeBeforeTheBackupEndedGivesTheBackupAsItWas() throws Exception {
    // Replay starts where the backup ends; the control plane refuses such a time up front.
    EngineFixture target = restoreTo(Instant.now().minus(Duration.ofHours(1)));
    target.engine().start();
    assertThat(notes(target)).isEmpty();
  }

  @Test
  void anArchiveWithoutTheBackupsBinaryLogFailsTheRestoreAndLeavesNoData() throws Exception {
    EngineFixture target = EngineFixture.create(new MariaDbEngineFactory(), 256);
    targets.add(target);
    target.engine().initialize();
    RestoreRequest elsewhere =
        new RestoreRequest(
            store,
            List.of(base),
            new RestoreRequest.PointInTime(betweenTheWrites.toString(), "wal/empty", logKey));
    assertThatThrownBy(() -> runner(target).restore(elsewhere))
        .isInstanceOfSatisfying(
            EngineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
              assertThat(e.getMessage()).contains("does not hold the binary log");
            });
    assertThat(target.engine().pid()).isEmpty();
    try (Stream<Path> left = Files.list(target.context().dataDir())) {
      assertThat(left).isEmpty();
    }
  }

  // ---- helpers ----

  private EngineFixture restoreTo(Instant time) throws Exception {
    EngineFixture target = EngineFixture.create(new MariaDbEngineFactory(), 256);
    targets.add(target);
    target.engine().initialize();
    runner(target)
        .restore(
            new RestoreRequest(
                store,
                List.of(base),
                new RestoreRequest.PointInTime(time.toString(), ARCHIVE, logKey)));
    return target;
  }

  private static BackupRunner runner(EngineFixture fixture) throws IOException {
    Path agentDir = fixture.context().agentDir();
    Files.createDirectories(agentDir);
    return new BackupRunner(fixture.engine(), "mariadb", agentDir, Json.newMapper());
  }

  private static void execute(EngineFixture fixture, String sql) throws SQLException {
    try (Connection c = connect(fixture);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static List<String> notes(EngineFixture fixture) throws SQLException {
    List<String> notes = new ArrayList<>();
    try (Connection c = connect(fixture);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT note FROM entries ORDER BY note")) {
      while (rs.next()) {
        notes.add(rs.getString(1));
      }
    }
    return notes;
  }

  /** As the instance's own admin: the restored server has the source's tables. */
  private static Connection connect(EngineFixture fixture) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "os_admin");
    props.setProperty(
        "password", Secrets.readOrCreate(fixture.context().agentDir().resolve("admin.secret")));
    props.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection(
        "jdbc:mariadb://" + fixture.address() + ":" + fixture.port() + "/ledger", props);
  }
}

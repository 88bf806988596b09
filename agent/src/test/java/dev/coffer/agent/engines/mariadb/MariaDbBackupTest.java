package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Physical backups of a real MariaDB server with mariadb-backup, restored into other real servers.
 * The source server and its chain (full, then two incrementals, each after more writes) are made
 * once for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MariaDbBackupTest {
  private final MariaDbEngineFactory factory = new MariaDbEngineFactory();
  private Path backups;
  private EngineFixture source;
  private final List<BackupSource> chain = new ArrayList<>();

  /** One backup kept in a file, as a backup store would hand it back. */
  private record FileSource(BackupManifest manifest, Path file) implements BackupSource {
    @Override
    public InputStream open() {
      try {
        return Files.newInputStream(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** {@link #removeSource()} runs even if this fails. */
  @BeforeAll
  void backUpASourceInThreeSteps(@TempDir Path backups) throws Exception {
    this.backups = backups;
    source = EngineFixture.create(factory, 256);
    Engine engine = source.engine();
    engine.initialize();
    engine.start();
    engine.createDatabase(DatabaseSpec.named("shop"));
    engine.createUser(new UserSpec("alice", "%", "alice-Pw-1", List.of("shop")));
    sql(source, "alice", "alice-Pw-1", "CREATE TABLE orders (id INT PRIMARY KEY, step INT)");
    insertOrders(1, 100, 1);
    chain.add(backUp(Optional.empty(), "full"));

    insertOrders(101, 200, 2);
    // a table that did not exist at the full backup
    sql(
        source,
        "alice",
        "alice-Pw-1",
        "CREATE TABLE later (id INT PRIMARY KEY)",
        "INSERT INTO later VALUES (1), (2), (3)");
    chain.add(backUp(Optional.of(chain.get(0).manifest()), "incremental-1"));

    insertOrders(201, 300, 3);
    sql(source, "alice", "alice-Pw-1", "DELETE FROM orders WHERE id = 5");
    engine.createUser(new UserSpec("bob", "%", "bob-Pw-2", List.of("shop")));
    chain.add(backUp(Optional.of(chain.get(1).manifest()), "incremental-2"));
  }

  @AfterAll
  void removeSource() throws Exception {
    if (source != null) {
      source.close();
    }
  }

  @Test
  void eachBackupRecordsWhereItStartsAndEnds() {
    Map<String, String> full = chain.get(0).manifest().position();
    Map<String, String> first = chain.get(1).manifest().position();
    Map<String, String> second = chain.get(2).manifest().position();
    assertThat(chain).allSatisfy(b -> assertThat(b.manifest().format()).isEqualTo("mbstream"));
    assertThat(full).containsEntry("backup_type", "full").containsEntry("from_lsn", "0");
    assertThat(first)
        .containsEntry("backup_type", "incremental")
        .containsEntry("from_lsn", full.get("to_lsn"));
    assertThat(second)
        .containsEntry("backup_type", "incremental")
        .containsEntry("from_lsn", first.get("to_lsn"));
    // to_lsn is InnoDB's last checkpoint at the backup: a few small writes need not move it
    assertThat(Long.parseLong(second.get("to_lsn")))
        .isGreaterThanOrEqualTo(Long.parseLong(first.get("to_lsn")));
    assertThat(Long.parseLong(first.get("to_lsn")))
        .isGreaterThanOrEqualTo(Long.parseLong(full.get("to_lsn")));
    assertThat(source.context().instanceDir().resolve("backup.tmp")).doesNotExist();
  }

  @Test
  void aRestoredChainHasEveryRowAndTheSourcesUsers() throws Exception {
    try (EngineFixture target = EngineFixture.create(factory, 256)) {
      restoreInto(target, chain);

      assertThat(target.engine().isHealthy()).isTrue();
      assertThat(target.engine().listUsers())
          .contains(
              new UserInfo("alice", "%", List.of("shop")),
              new UserInfo("bob", "%", List.of("shop")));
      assertThat(ids(target, "bob", "bob-Pw-2", "SELECT id FROM orders"))
          .hasSize(299)
          .doesNotContain(5)
          .contains(1, 100, 101, 200, 201, 300);
      assertThat(ids(target, "alice", "alice-Pw-1", "SELECT id FROM later"))
          .containsExactly(1, 2, 3);
      assertThat(target.context().instanceDir().resolve("restore.tmp")).doesNotExist();
      // the restored server starts again like any other
      target.engine().stop();
      target.engine().start();
      assertThat(target.engine().isHealthy()).isTrue();
    }
  }

  @Test
  void aRestoredFullBackupHasOnlyWhatItHeld() throws Exception {
    try (EngineFixture target = EngineFixture.create(factory, 256)) {
      restoreInto(target, chain.subList(0, 1));

      assertThat(target.engine().isHealthy()).isTrue();
      assertThat(target.engine().findUser(new UserRef("bob", "%"))).isEmpty();
      assertThat(ids(target, "alice", "alice-Pw-1", "SELECT id FROM orders"))
          .hasSize(100)
          .contains(1, 5, 100);
      assertSqlRefused(() -> ids(target, "alice", "alice-Pw-1", "SELECT id FROM later"));
    }
  }

  @Test
  void aBackupReachesItsDestinationWhileTheToolStillRunsInBoundedChunks() throws Exception {
    sql(
        source,
        "alice",
        "alice-Pw-1",
        "CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(1000))",
        "INSERT INTO big SELECT seq, REPEAT(MD5(seq), 31) FROM seq_1_to_50000");
    WatchingSink sink = new WatchingSink();

    backupEngine(source).backup(Optional.empty(), sink);

    assertThat(sink.bytes).isGreaterThan(50L * 1024 * 1024);
    assertThat(sink.largestWrite).isLessThanOrEqualTo(256 * 1024);
    assertThat(sink.toolRanAtFirstWrite).isTrue();
    assertThat(source.context().instanceDir().resolve("backup.tmp")).doesNotExist();
  }

  @Test
  void aDamagedBackupIsRefusedAndLeavesNothingBehind() throws Exception {
    Path garbage = backups.resolve("garbage");
    Files.write(garbage, new byte[] {'n', 'o', 't', ' ', 'x', 'b', 's', 't', 'r', 'e', 'a', 'm'});
    try (EngineFixture target = EngineFixture.create(factory, 256)) {
      BackupSource damaged = new FileSource(chain.get(0).manifest(), garbage);

      assertThatThrownBy(() -> backupEngine(target).restore(List.of(damaged)))
          .isInstanceOfSatisfying(
              EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.ENGINE_FAILURE))
          .hasMessageContaining("mbstream");
      assertThat(target.context().instanceDir().resolve("restore.tmp")).doesNotExist();
    }
  }

  @Test
  void aChainMustStartWithAFullBackupAndHaveNoGaps() throws Exception {
    try (EngineFixture target = EngineFixture.create(factory, 256)) {
      BackupEngine engine = backupEngine(target);
      assertKind(() -> engine.restore(List.of()), ErrorKind.BAD_REQUEST);
      assertKind(() -> engine.restore(chain.subList(1, 3)), ErrorKind.BAD_REQUEST);
      // An incremental that starts after its predecessor ends. (Dropping the first incremental is
      // not always detectable: with no InnoDB checkpoint between two backups, they share a to_lsn.)
      FileSource second = (FileSource) chain.get(2);
      Map<String, String> shifted = new java.util.HashMap<>(second.manifest().position());
      long fullEnd = Long.parseLong(chain.get(0).manifest().position().get("to_lsn"));
      shifted.put("from_lsn", Long.toString(fullEnd + 1));
      FileSource gap =
          new FileSource(new BackupManifest(second.manifest().format(), shifted), second.file());
      assertKind(() -> engine.restore(List.of(chain.get(0), gap)), ErrorKind.BAD_REQUEST);
      assertKind(
          () ->
              engine.backup(
                  Optional.of(new BackupManifest("tar", Map.of("to_lsn", "1"))),
                  OutputStream.nullOutputStream()),
          ErrorKind.BAD_REQUEST);
    }
  }

  @Test
  void withoutMariaDbBackupInstalledBackupsAreUnsupported() {
    EngineContext withoutTools =
        EngineContext.of(
            "no-tools",
            "127.0.0.1",
            3306,
            backups.resolve("no-tools"),
            256,
            Optional.empty(),
            Map.of("server", "/usr/sbin/mariadbd"));
    BackupEngine engine = (BackupEngine) factory.create(withoutTools);

    assertKind(engine::supportsIncremental, ErrorKind.UNSUPPORTED);
    assertKind(
        () -> engine.backup(Optional.empty(), OutputStream.nullOutputStream()),
        ErrorKind.UNSUPPORTED);
    assertKind(() -> engine.restore(List.of(chain.get(0))), ErrorKind.UNSUPPORTED);
    assertThat(backupEngine(source).supportsIncremental()).isTrue();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private FileSource backUp(Optional<BackupManifest> parent, String name) throws IOException {
    Path file = backups.resolve(name + ".xbstream");
    BackupManifest manifest;
    try (OutputStream out = Files.newOutputStream(file)) {
      manifest = backupEngine(source).backup(parent, out);
    }
    return new FileSource(manifest, file);
  }

  /** What the agent does for a restore: a fresh instance, stopped, restored, started. */
  private static void restoreInto(EngineFixture target, List<BackupSource> backups) {
    target.engine().initialize();
    target.engine().stop();
    backupEngine(target).restore(backups);
    target.engine().start();
  }

  private void insertOrders(int from, int to, int step) throws SQLException {
    sql(
        source,
        "alice",
        "alice-Pw-1",
        "INSERT INTO orders SELECT seq, " + step + " FROM seq_" + from + "_to_" + to);
  }

  private static BackupEngine backupEngine(EngineFixture fixture) {
    return (BackupEngine) fixture.engine();
  }

  private static void sql(EngineFixture fixture, String user, String password, String... sql)
      throws SQLException {
    try (Connection c = connect(fixture, user, password);
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    }
  }

  private static List<Integer> ids(
      EngineFixture fixture, String user, String password, String query) throws SQLException {
    List<Integer> ids = new ArrayList<>();
    try (Connection c = connect(fixture, user, password);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      while (rs.next()) {
        ids.add(rs.getInt(1));
      }
    }
    return ids;
  }

  private static Connection connect(EngineFixture fixture, String user, String password)
      throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    return DriverManager.getConnection(
        "jdbc:mariadb://" + fixture.address() + ":" + fixture.port() + "/shop", p);
  }

  private static void assertKind(ThrowingCallable call, ErrorKind kind) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }

  private static void assertSqlRefused(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(SQLException.class);
  }

  /** Counts what arrives and notes whether mariadb-backup was still running when it started. */
  private static final class WatchingSink extends OutputStream {
    long bytes;
    int largestWrite;
    boolean toolRanAtFirstWrite;

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (bytes == 0) {
        toolRanAtFirstWrite =
            ProcessHandle.current()
                .descendants()
                .anyMatch(
                    p ->
                        p.info()
                            .command()
                            .map(command -> command.endsWith("mariadb-backup"))
                            .orElse(false));
      }
      bytes += len;
      largestWrite = Math.max(largestWrite, len);
    }
  }
}

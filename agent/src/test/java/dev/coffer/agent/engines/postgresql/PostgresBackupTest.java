package dev.coffer.agent.engines.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A full base backup of one real PostgreSQL server, streamed to a file and restored into a second
 * one with its own address, port, memory and admin password. The backup and restore happen once for
 * the class; each test checks one promise about the result.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresBackupTest {
  private static final int ROWS_BEFORE_BACKUP = 100;
  private static final int ROWS_AFTER_BACKUP = 50;
  private static final String USER = "ada";
  private static final String USER_PASSWORD = "ada-Secret1";

  private EngineFixture source;
  private EngineFixture target;
  private Path backupFile;
  private BackupManifest manifest;

  @BeforeAll
  void backUpOneServerAndRestoreItIntoAnother() throws Exception {
    backupFile = Files.createTempFile("coffer-pg-backup", ".tar");
    source = EngineFixture.create(new PostgresEngineFactory(), 256);
    source.engine().initialize();
    source.engine().start();
    source.engine().createDatabase(DatabaseSpec.named("ledger"));
    source.engine().createUser(new UserSpec(USER, null, USER_PASSWORD, List.of("ledger")));
    try (Connection ada = connect(source, USER, USER_PASSWORD, "ledger");
        Statement s = ada.createStatement()) {
      s.execute("CREATE TABLE entries (id int PRIMARY KEY, note text)");
      s.execute(
          "INSERT INTO entries SELECT i, 'before ' || i FROM generate_series(1, "
              + ROWS_BEFORE_BACKUP
              + ") i");
    }
    try (Connection admin = admin(source, "postgres");
        Statement s = admin.createStatement()) {
      // Not applied to the running source; they travel in postgresql.auto.conf. The port is this
      // instance's own business, the timeout is the database's configuration.
      s.execute("ALTER SYSTEM SET port = 1");
      s.execute("ALTER SYSTEM SET statement_timeout = '77s'");
    }

    try (OutputStream out = Files.newOutputStream(backupFile)) {
      manifest = backups(source).backup(Optional.empty(), out);
    }

    try (Connection ada = connect(source, USER, USER_PASSWORD, "ledger");
        Statement s = ada.createStatement()) {
      s.execute(
          "INSERT INTO entries SELECT i, 'after ' || i FROM generate_series("
              + (ROWS_BEFORE_BACKUP + 1)
              + ", "
              + (ROWS_BEFORE_BACKUP + ROWS_AFTER_BACKUP)
              + ") i");
    }

    target = EngineFixture.create(new PostgresEngineFactory(), 512);
    target.engine().initialize();
    target.engine().start();
    target.engine().stop();
    backups(target).restore(List.of(fileSource(manifest, backupFile)));
    target.engine().start();
  }

  @AfterAll
  void stopAndRemoveEverything() throws IOException {
    try {
      if (target != null) {
        target.close();
      }
    } finally {
      try {
        if (source != null) {
          source.close();
        }
      } finally {
        if (backupFile != null) {
          Files.deleteIfExists(backupFile);
        }
      }
    }
  }

  @Test
  void aBackupIsOneTarStreamWithTheWalPositionsItCovers() throws IOException {
    assertThat(backups(source).supportsIncremental()).isFalse();
    assertThat(manifest.format()).isEqualTo("tar");
    assertThat(manifest.position()).containsOnlyKeys("start_lsn", "stop_lsn", "timeline");
    assertThat(manifest.position().get("start_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
    assertThat(manifest.position().get("timeline")).isEqualTo("1");
    assertThat(lsn(manifest.position().get("stop_lsn")))
        .isGreaterThan(lsn(manifest.position().get("start_lsn")));
    try (InputStream in = Files.newInputStream(backupFile)) {
      byte[] header = in.readNBytes(512);
      assertThat(new String(Arrays.copyOfRange(header, 257, 262), StandardCharsets.US_ASCII))
          .isEqualTo("ustar");
    }
    // The password file for pg_basebackup is gone; only the server's socket and lock remain.
    assertThat(fileNames(source.context().runDir())).allMatch(name -> name.startsWith(".s.PGSQL."));
  }

  @Test
  void rowsWrittenBeforeTheBackupAreRestoredAndLaterOnesAreNot() throws SQLException {
    try (Connection ada = connect(target, USER, USER_PASSWORD, "ledger");
        Statement s = ada.createStatement()) {
      assertThat(count(s, "SELECT count(*) FROM entries")).isEqualTo(ROWS_BEFORE_BACKUP);
      assertThat(count(s, "SELECT max(id) FROM entries")).isEqualTo(ROWS_BEFORE_BACKUP);
      assertThat(count(s, "SELECT count(*) FROM entries WHERE note LIKE 'after %'")).isZero();
    }
  }

  @Test
  void restoredUsersLogInWithTheirOwnPasswordsAndKeepTheirAccess() throws SQLException {
    assertThat(target.engine().listUsers()).contains(new UserInfo(USER, "%", List.of("ledger")));
    try (Connection ada = connect(target, USER, USER_PASSWORD, "ledger")) {
      assertThat(ada.isValid(2)).isTrue();
    }
    assertThatThrownBy(() -> connect(target, USER, "not-" + USER_PASSWORD, "ledger").close())
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
  }

  @Test
  void theRestoredInstanceKeepsItsOwnAddressPortMemoryAndAdminPassword() throws Exception {
    Engine engine = target.engine();
    assertThat(engine.isHealthy()).isTrue();
    try (Connection admin = admin(target, "postgres")) {
      assertThat(show(admin, "listen_addresses")).isEqualTo(target.address());
      assertThat(show(admin, "port")).isEqualTo(String.valueOf(target.port()));
      assertThat(show(admin, "unix_socket_directories"))
          .isEqualTo(target.context().runDir().toString());
      assertThat(show(admin, "shared_buffers")).isEqualTo("128MB");
      assertThat(show(admin, "log_directory")).isEqualTo(target.context().logDir().toString());
      // The source's own configuration of the database comes along.
      assertThat(show(admin, "statement_timeout")).isEqualTo("77s");
    }
    String sourceAdminPassword = adminPassword(source);
    assertThat(sourceAdminPassword).isNotEqualTo(adminPassword(target));
    assertThatThrownBy(() -> connect(target, "os_admin", sourceAdminPassword, "postgres").close())
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    Path dataDir = target.context().dataDir();
    assertThat(dataDir.resolve("backup_manifest")).doesNotExist();
    assertThat(dataDir.resolve("backup_label")).doesNotExist();
    assertThat(Files.readString(dataDir.resolve("postgresql.auto.conf")))
        .doesNotContainPattern("(?m)^port")
        .contains("statement_timeout");
    assertThat(fileNames(target.context().runDir())).allMatch(name -> name.startsWith(".s.PGSQL."));
  }

  @Test
  void incrementalBackupsAreRefusedWithTheSameClearError() {
    assertThatThrownBy(
            () -> backups(source).backup(Optional.of(manifest), OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(
            EngineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "The 'incremental backup' operation is not supported for the 'postgresql'"
                          + " datastore.");
            });
    BackupSource full = fileSource(manifest, backupFile);
    assertThatThrownBy(() -> backups(target).restore(List.of(full, full)))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED));
  }

  @Test
  void aFailedRestoreLeavesNeitherHalfADataDirectoryNorScratchFiles() throws IOException {
    Path truncated = Files.createTempFile("coffer-pg-truncated", ".tar");
    try (EngineFixture broken = EngineFixture.create(new PostgresEngineFactory(), 256);
        InputStream in = Files.newInputStream(backupFile)) {
      Files.write(truncated, in.readNBytes(1024 * 1024 + 100));

      assertThatThrownBy(() -> backups(broken).restore(List.of(fileSource(manifest, truncated))))
          .isInstanceOfSatisfying(
              EngineException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(ErrorKind.ENGINE_FAILURE);
                assertThat(e.getMessage()).contains("tar");
              });
      assertThat(fileNames(broken.context().dataDir())).isEmpty();
      assertThat(fileNames(broken.context().runDir())).isEmpty();
      assertThat(broken.engine().pid()).isEmpty();
    } finally {
      Files.deleteIfExists(truncated);
    }
  }

  // ---- helpers ----

  private static BackupEngine backups(EngineFixture fixture) {
    return (BackupEngine) fixture.engine();
  }

  private static BackupSource fileSource(BackupManifest manifest, Path file) {
    return new BackupSource() {
      @Override
      public BackupManifest manifest() {
        return manifest;
      }

      @Override
      public InputStream open() {
        try {
          return Files.newInputStream(file);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  /** An LSN {@code hi/lo} as one number, so positions compare. */
  private static long lsn(String text) {
    String[] parts = text.split("/");
    return (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16);
  }

  private static List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static String adminPassword(EngineFixture fixture) {
    return Secrets.readOrCreate(fixture.context().agentDir().resolve("admin.secret"));
  }

  private static Connection admin(EngineFixture fixture, String database) throws SQLException {
    return connect(fixture, "os_admin", adminPassword(fixture), database);
  }

  private static Connection connect(
      EngineFixture fixture, String user, String password, String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("sslmode", "disable");
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + fixture.address() + ":" + fixture.port() + "/" + database, props);
  }

  private static String show(Connection c, String setting) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long count(Statement s, String query) throws SQLException {
    try (ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

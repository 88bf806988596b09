package dev.coffer.agent.engines.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One replication set of three real PostgreSQL servers, driven as the control plane drives it:
 * replicas seeded from a backup, a planned switchover under a write load, a failover after a kill
 * -9, and the old primary rejoining through pg_rewind. The tests run in order on the same set; each
 * one names the promise it checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresReplicationTest {
  private static final String USER = "ada";
  private static final String USER_PASSWORD = "ada-Secret1";
  private static final ReplicationCredentials CREDENTIALS =
      new ReplicationCredentials("os_repl", "repl-" + Secrets.password(16));
  private static final Duration CATCH_UP = Duration.ofSeconds(30);

  private EngineFixture first;
  private EngineFixture second;
  private EngineFixture third;
  private final List<Path> backupFiles = new ArrayList<>();

  @BeforeAll
  void oneSourceWithTwoReplicasSeededFromItsBackups() throws Exception {
    first = EngineFixture.create(new PostgresEngineFactory(), 256);
    second = EngineFixture.create(new PostgresEngineFactory(), 256);
    third = EngineFixture.create(new PostgresEngineFactory(), 256);
    first.engine().initialize();
    first.engine().start();
    first.engine().createDatabase(DatabaseSpec.named("ledger"));
    first.engine().createUser(new UserSpec(USER, null, USER_PASSWORD, List.of("ledger")));
    try (Connection ada = tenant(first);
        Statement s = ada.createStatement()) {
      s.execute("CREATE TABLE numbers (n int PRIMARY KEY)");
      s.execute("INSERT INTO numbers SELECT generate_series(1, 10)");
    }
    // Each instance has its own configuration group; the source's backups carry its group file.
    assertThat(configuration(first).applyConfiguration(Map.of("work_mem", "20480"))).isEmpty();
    createReplica(first, second);
    createReplica(first, third);
    assertThat(configuration(second).applyConfiguration(Map.of("work_mem", "10240"))).isEmpty();
    assertThat(configuration(third).applyConfiguration(Map.of("work_mem", "12288"))).isEmpty();
  }

  @AfterAll
  void stopAndRemoveEverything() throws IOException {
    for (EngineFixture fixture : new EngineFixture[] {first, second, third}) {
      if (fixture != null) {
        try {
          fixture.close();
        } catch (RuntimeException | IOException e) {
          // the others are still removed
        }
      }
    }
    for (Path file : backupFiles) {
      Files.deleteIfExists(file);
    }
  }

  @Test
  @Order(1)
  void aWriteOnThePrimaryIsReadOnTheReplicaWhichRefusesTheTenantsWrites() throws Exception {
    try (Connection ada = tenant(first);
        Statement s = ada.createStatement()) {
      s.execute("INSERT INTO numbers SELECT generate_series(11, 20)");
    }
    await()
        .atMost(CATCH_UP)
        .untilAsserted(() -> assertThat(numbers(second)).hasSize(20).contains(20));
    // The replicated user logs in on the replica with its password, and may only read.
    try (Connection ada = tenant(second);
        Statement s = ada.createStatement()) {
      assertThatThrownBy(() -> s.execute("INSERT INTO numbers VALUES (-5)"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"));
    }
    assertThat(second.engine().listUsers())
        .containsExactly(new UserInfo(USER, "%", List.of("ledger")));
    assertThat(first.engine().listUsers()).extracting(UserInfo::name).containsExactly(USER);
    // The replication password lives in 0600 files, never in the server's configuration.
    Path passFile = PostgresConfig.replicationPassFile(second.context());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passFile)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(second.context().dataDir().resolve("coffer.conf")))
        .contains("primary_slot_name = '" + PostgresConfig.slotName(id(second)) + "'")
        .doesNotContain(CREDENTIALS.password());
  }

  @Test
  @Order(2)
  void primaryAndReplicasReportTheirRolesAndReachTheSameProgress() {
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () -> {
              ReplicationStatus primary = status(first);
              ReplicationStatus replica = status(second);
              assertThat(primary.role()).isEqualTo(ReplicationStatus.PRIMARY);
              assertThat(replica.role()).isEqualTo(ReplicationStatus.REPLICA);
              assertThat(replica.sourceHost()).isEqualTo(first.address());
              assertThat(replica.connected()).isTrue();
              assertThat(replica.lagSeconds()).isNotNull().isEqualTo(0.0);
              assertThat(replica.progress()).isEqualTo(primary.progress()).isPositive();
              assertThat(replica.position()).matches("[0-9A-F]+/[0-9A-F]+");
            });
    assertThat(status(third).role()).isEqualTo(ReplicationStatus.REPLICA);
  }

  /**
   * Fence the old primary, wait until the replica has everything, promote it, repoint the old
   * primary and the other replica: no acknowledged write is lost. Every step is sent twice, as the
   * control plane does after a crash.
   */
  @Test
  @Order(3)
  void aPlannedSwitchoverUnderAWriteLoadLosesNoAcknowledgedWrite() throws Exception {
    EngineFixture oldPrimary = first;
    EngineFixture newPrimary = second;
    Writer writer = new Writer(oldPrimary, 1000);
    writer.start();
    try {
      await().atMost(CATCH_UP).until(() -> writer.acknowledged().size() > 50);

      long started = System.nanoTime();
      replication(oldPrimary).fence();
      replication(oldPrimary).fence();
      assertThat(status(oldPrimary).role()).isEqualTo(ReplicationStatus.FENCED);
      await()
          .atMost(CATCH_UP)
          .pollInterval(Duration.ofMillis(50))
          .untilAsserted(
              () ->
                  assertThat(status(newPrimary).progress())
                      .isEqualTo(status(oldPrimary).progress()));
      replication(newPrimary).promote();
      writer.switchTo(newPrimary);
      replication(newPrimary).promote();
      prepareSource(newPrimary, oldPrimary);
      prepareSource(newPrimary, third);
      replication(oldPrimary).repoint(setup(newPrimary));
      long switchoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      replication(oldPrimary).repoint(setup(newPrimary));
      replication(third).repoint(setup(newPrimary));
      System.out.println(
          "switchover (fence → caught up → promote → repoint) took ms=" + switchoverMillis);

      int atSwitch = writer.acknowledged().size();
      await().atMost(CATCH_UP).until(() -> writer.acknowledged().size() > atSwitch + 50);
    } finally {
      writer.stopAndJoin();
    }
    List<Integer> acknowledged = writer.acknowledged();
    assertThat(numbers(newPrimary)).containsAll(acknowledged);
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () -> {
              assertThat(numbers(oldPrimary)).containsAll(acknowledged);
              assertThat(numbers(third)).containsAll(acknowledged);
            });
    ReplicationStatus demoted = status(oldPrimary);
    assertThat(demoted.role()).isEqualTo(ReplicationStatus.REPLICA);
    assertThat(demoted.sourceHost()).isEqualTo(newPrimary.address());
    assertThat(status(newPrimary).role()).isEqualTo(ReplicationStatus.PRIMARY);
    // The promoted replica's agent manages it with its own admin password again.
    newPrimary.engine().createDatabase(DatabaseSpec.named("after_switchover"));
    assertThat(oldPrimary.engine().isHealthy()).isTrue();
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () ->
                assertThat(oldPrimary.engine().listDatabases())
                    .extracting(DatabaseSpec::name)
                    .contains("after_switchover"));
  }

  /**
   * The primary dies (kill -9): one replica is promoted, the other follows it. The old primary,
   * started again, is fenced, then rejoins as a replica: pg_rewind drops what it wrote alone.
   */
  @Test
  @Order(4)
  void afterAFailoverTheOldPrimaryIsFencedAndRewoundIntoAReplica() throws Exception {
    EngineFixture dead = second;
    EngineFixture promoted = first;
    EngineFixture follower = third;
    long pid = dead.engine().pid().orElseThrow();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await().atMost(CATCH_UP).until(() -> dead.engine().pid().isEmpty());

    replication(promoted).promote();
    prepareSource(promoted, follower);
    replication(follower).repoint(setup(promoted));
    try (Connection ada = tenant(promoted);
        Statement s = ada.createStatement()) {
      s.execute("INSERT INTO numbers SELECT generate_series(100001, 100010)");
    }
    await().atMost(CATCH_UP).untilAsserted(() -> assertThat(numbers(follower)).contains(100010));

    // Back from the dead, it still believes it is the primary, and takes a write on its own.
    await()
        .atMost(CATCH_UP)
        .ignoreExceptions()
        .until(
            () -> {
              dead.engine().start();
              return true;
            });
    try (Connection ada = tenant(dead);
        Statement s = ada.createStatement()) {
      s.execute("INSERT INTO numbers VALUES (-1)");
    }
    replication(dead).fence();
    assertThat(status(dead).role()).isEqualTo(ReplicationStatus.FENCED);
    try (Connection ada = tenant(dead);
        Statement s = ada.createStatement()) {
      assertThatThrownBy(() -> s.execute("INSERT INTO numbers VALUES (-2)"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"));
      // Not even a client that turns read-only off can write: it is a standby.
      assertThatThrownBy(
              () -> {
                s.execute("SET default_transaction_read_only = off");
                s.execute("INSERT INTO numbers VALUES (-2)");
              })
          .isInstanceOf(SQLException.class);
    }
    // A restart of the engine keeps it fenced.
    dead.engine().stop();
    dead.engine().start();
    assertThat(status(dead).role()).isEqualTo(ReplicationStatus.FENCED);

    prepareSource(promoted, dead);
    replication(dead).repoint(setup(promoted));
    try (Connection ada = tenant(promoted);
        Statement s = ada.createStatement()) {
      s.execute("INSERT INTO numbers VALUES (100011)");
    }
    await()
        .atMost(CATCH_UP)
        .untilAsserted(() -> assertThat(numbers(dead)).contains(100010, 100011).doesNotContain(-1));
    ReplicationStatus rejoined = status(dead);
    assertThat(rejoined.role()).isEqualTo(ReplicationStatus.REPLICA);
    assertThat(rejoined.sourceHost()).isEqualTo(promoted.address());
    assertThat(rejoined.connected()).isTrue();
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () -> assertThat(status(dead).progress()).isEqualTo(status(promoted).progress()));
    // pg_rewind copied the new primary's configuration files; each keeps its own group.
    assertThat(workMem(promoted)).isEqualTo("20480");
    assertThat(workMem(follower)).isEqualTo("12288");
    assertThat(workMem(dead)).isEqualTo("10240");
  }

  @Test
  @Order(5)
  void releasingAReplicaDropsItsSlotAndMayBeRepeated() throws SQLException {
    replication(first).releaseReplica(id(third));
    replication(first).releaseReplica(id(third));
    try (Connection admin = admin(first);
        Statement s = admin.createStatement();
        ResultSet rs = s.executeQuery("SELECT slot_name FROM pg_replication_slots")) {
      List<String> slots = new ArrayList<>();
      while (rs.next()) {
        slots.add(rs.getString(1));
      }
      assertThat(slots)
          .contains(PostgresConfig.slotName(id(second)))
          .doesNotContain(PostgresConfig.slotName(id(third)));
    }
  }

  // ---- the control plane's steps ----

  private void createReplica(EngineFixture source, EngineFixture replica) throws IOException {
    prepareSource(source, replica);
    Path file = Files.createTempFile("coffer-pg-replica", ".tar");
    backupFiles.add(file);
    BackupManifest manifest;
    try (OutputStream out = Files.newOutputStream(file)) {
      manifest = ((BackupEngine) source.engine()).backup(Optional.empty(), out);
    }
    replica.engine().initialize();
    replica.engine().stop();
    ((BackupEngine) replica.engine()).restore(List.of(fileSource(manifest, file)));
    replica.engine().stop();
    replication(replica).configureReplica(setup(source));
    replica.engine().start();
    replication(replica).startReplica(setup(source));
  }

  private static void prepareSource(EngineFixture source, EngineFixture replica) {
    Map<String, String> positions =
        replication(source).prepareSource(new SourceRequest(CREDENTIALS, id(replica), false));
    assertThat(positions).isEmpty();
  }

  private static ReplicaSetup setup(EngineFixture source) {
    return new ReplicaSetup(
        id(source), source.address(), source.port(), CREDENTIALS, Map.of(), false);
  }

  private static ConfigurableEngine configuration(EngineFixture fixture) {
    return (ConfigurableEngine) fixture.engine();
  }

  private static String workMem(EngineFixture fixture) {
    return configuration(fixture).currentConfiguration(Set.of("work_mem")).get("work_mem");
  }

  private static ReplicationEngine replication(EngineFixture fixture) {
    return (ReplicationEngine) fixture.engine();
  }

  private static ReplicationStatus status(EngineFixture fixture) {
    return replication(fixture).replicationStatus();
  }

  private static String id(EngineFixture fixture) {
    return fixture.context().instanceId();
  }

  // ---- clients ----

  /**
   * Inserts increasing numbers as fast as it can, recording each acknowledged one. A failed insert
   * is retried with the same number, on the current target (the new primary once switched).
   */
  private static final class Writer extends Thread {
    private final AtomicReference<EngineFixture> target;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Integer> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private int next;

    Writer(EngineFixture primary, int from) {
      super("writer");
      this.target = new AtomicReference<>(primary);
      this.next = from;
      setDaemon(true);
    }

    void switchTo(EngineFixture primary) {
      target.set(primary);
    }

    List<Integer> acknowledged() {
      synchronized (acknowledged) {
        return List.copyOf(acknowledged);
      }
    }

    @Override
    public void run() {
      while (!stop.get()) {
        try (Connection c = tenant(target.get());
            Statement s = c.createStatement()) {
          while (!stop.get()) {
            s.execute("INSERT INTO numbers VALUES (" + next + ") ON CONFLICT DO NOTHING");
            acknowledged.add(next);
            next++;
          }
        } catch (SQLException e) {
          // refused (read-only, shutting down, not yet promoted): back off briefly, try again
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
      }
    }

    void stopAndJoin() throws InterruptedException {
      stop.set(true);
      join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  private static Set<Integer> numbers(EngineFixture fixture) throws SQLException {
    try (Connection ada = tenant(fixture);
        Statement s = ada.createStatement();
        ResultSet rs = s.executeQuery("SELECT n FROM numbers")) {
      Set<Integer> found = new HashSet<>();
      while (rs.next()) {
        found.add(rs.getInt(1));
      }
      return found;
    }
  }

  private static Connection tenant(EngineFixture fixture) throws SQLException {
    return connect(fixture, USER, USER_PASSWORD, "ledger");
  }

  private static Connection admin(EngineFixture fixture) throws SQLException {
    return connect(
        fixture,
        "os_admin",
        Secrets.readOrCreate(fixture.context().agentDir().resolve("admin.secret")),
        "postgres");
  }

  private static Connection connect(
      EngineFixture fixture, String user, String password, String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("sslmode", "disable");
    props.setProperty("connectTimeout", "5");
    props.setProperty("socketTimeout", "30");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + fixture.address() + ":" + fixture.port() + "/" + database, props);
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
}

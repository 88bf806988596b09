package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
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
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three real MariaDB servers in one replication set, driven through the engine SPI in the order the
 * agent and the control plane use, and checked through Connector/J as the tenant's users. The set
 * changes from test to test (a switchover, then a failover), so the tests run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MariaDbReplicationTest {
  private static final Duration CATCH_UP = Duration.ofSeconds(30);
  private static final int ER_OPTION_PREVENTS_STATEMENT = 1290;
  private static final String APP = "app";
  private static final String APP_PASSWORD = "app-Pw-1";
  // quotes and a backslash: the password reaches CHANGE MASTER through the driver's escaping
  private final ReplicationCredentials credentials =
      new ReplicationCredentials("os_repl", "re'pl\\Pw\"9");

  private final MariaDbEngineFactory factory = new MariaDbEngineFactory();
  private final List<EngineFixture> fixtures = new ArrayList<>();
  private EngineFixture a;
  private EngineFixture b;
  private EngineFixture c;
  private String rootPassword;

  @BeforeAll
  void buildASetOfOnePrimaryAndTwoReplicas() throws Exception {
    try {
      a = newFixture();
      b = newFixture();
      c = newFixture();
      a.engine().initialize();
      a.engine().start();
      a.engine().createDatabase(DatabaseSpec.named("shop"));
      a.engine().createUser(new UserSpec(APP, null, APP_PASSWORD, List.of("shop")));
      rootPassword = a.engine().enableRoot(Optional.empty()).password();
      try (Connection app = connect(a, APP, APP_PASSWORD);
          Statement s = app.createStatement()) {
        s.execute(
            "CREATE TABLE seq (id BIGINT AUTO_INCREMENT PRIMARY KEY, n BIGINT NOT NULL, KEY(n))");
        s.execute("INSERT INTO seq (n) VALUES (1)");
      }
      replication(a).prepareSource(new SourceRequest(credentials, "b", false));
      replication(a).prepareSource(new SourceRequest(credentials, "c", false));
      ByteArrayOutputStream backup = new ByteArrayOutputStream();
      BackupManifest manifest = ((BackupEngine) a.engine()).backup(Optional.empty(), backup);
      assertThat(manifest.position()).containsKey(MariaDbReplication.BACKUP_GTID);
      for (EngineFixture replica : List.of(b, c)) {
        prepareReplica(replica, manifest, backup.toByteArray(), setup(a, manifest));
      }
    } catch (Exception | Error e) {
      removeServers();
      throw e;
    }
  }

  @AfterAll
  void removeServers() throws Exception {
    for (EngineFixture fixture : fixtures) {
      try {
        fixture.close();
      } catch (RuntimeException e) {
        // the others are still removed
      }
    }
  }

  @Test
  @Order(1)
  void aReplicaServesThePrimarysWritesAndRefusesTheTenantsOwn() throws Exception {
    insert(a, 100);
    awaitRow(b, 100);
    awaitRow(c, 100);
    // the replicated tenant user logs in on the replica, and may read but not write
    assertRefusesWrites(b, APP, APP_PASSWORD);
    // root has every privilege except the one that writes through read-only
    assertRefusesWrites(b, "root", rootPassword);
    try (Connection root = connect(b, "root", rootPassword);
        Statement s = root.createStatement()) {
      assertThatThrownBy(() -> s.execute("SET GLOBAL read_only = OFF"))
          .isInstanceOf(SQLException.class);
    }
    // the agent still manages the replica, which hides its reserved accounts ...
    assertThat(b.engine().listDatabases()).extracting(DatabaseSpec::name).contains("shop");
    assertThat(b.engine().listUsers())
        .extracting(UserInfo::name)
        .contains(APP)
        .doesNotContain("os_repl", "os_admin", "root");
    // ... but never writes its own changes into the replicated data
    assertThatThrownBy(() -> b.engine().createDatabase(DatabaseSpec.named("mine")))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT));
  }

  @Test
  @Order(2)
  void aRestartedReplicaIsStillAReadOnlyReplicaWithOnlyItsSourcesTransactions() throws Exception {
    b.engine().stop();
    b.engine().start();
    insert(a, 200);
    awaitRow(b, 200);
    assertRefusesWrites(b, APP, APP_PASSWORD);
    assertThat(replication(b).replicationStatus().role()).isEqualTo(ReplicationStatus.REPLICA);
    // the agent's account, recreated at every start, left no transaction of the replica's own
    long source = ServerConfig.serverId(a.context().instanceId());
    for (EngineFixture replica : List.of(b, c)) {
      assertThat(serverIdsIn(variable(replica, "gtid_binlog_state"))).containsOnly(source);
    }
  }

  @Test
  @Order(3)
  void statusShowsRolesLinkLagAndEqualProgressOnceCaughtUp() {
    insert(a, 300);
    awaitCaughtUp(a, b, c);
    ReplicationStatus primary = replication(a).replicationStatus();
    assertThat(primary.role()).isEqualTo(ReplicationStatus.PRIMARY);
    assertThat(primary.progress()).isPositive();
    assertThat(primary.position()).matches("0-\\d+-" + primary.progress());
    for (EngineFixture replica : List.of(b, c)) {
      await()
          .atMost(CATCH_UP)
          .untilAsserted(
              () -> {
                ReplicationStatus status = replication(replica).replicationStatus();
                assertThat(status.role()).isEqualTo(ReplicationStatus.REPLICA);
                assertThat(status.sourceHost()).isEqualTo(a.address());
                assertThat(status.connected()).isTrue();
                assertThat(status.lagSeconds()).isEqualTo(0.0);
                assertThat(status.progress()).isEqualTo(primary.progress());
              });
    }
  }

  @Test
  @Order(4)
  void everyStepCanBeSentTwice() {
    replication(a).prepareSource(new SourceRequest(credentials, "b", false));
    replication(b).startReplica(setup(a, null));
    replication(b).repoint(setup(a, null));
    replication(b).repoint(setup(a, null));
    replication(a).releaseReplica("b");
    replication(a).releaseReplica("b");
    insert(a, 400);
    awaitRow(b, 400);
    awaitRow(c, 400);
  }

  @Test
  @Order(5)
  void aPlannedSwitchoverUnderWriteLoadLosesNoAcknowledgedWrite() throws Exception {
    Writer writer = new Writer(List.of(a, b), 10_000);
    Thread thread = new Thread(writer, "writer");
    thread.start();
    try {
      await().atMost(CATCH_UP).until(() -> writer.acknowledged().size() > 50);
      replication(a).fence();
      replication(a).fence();
      long fencedAt = replication(a).replicationStatus().progress();
      await()
          .atMost(CATCH_UP)
          .until(() -> replication(b).replicationStatus().progress() == fencedAt);
      assertThat(replication(a).replicationStatus().progress()).isEqualTo(fencedAt);
      replication(b).promote();
      replication(b).promote();
      replication(a).repoint(setup(b, null));
      replication(a).repoint(setup(b, null));
      replication(c).repoint(setup(b, null));
      int before = writer.acknowledged().size();
      await().atMost(CATCH_UP).until(() -> writer.acknowledged().size() > before + 50);
      assertThat(replication(b).replicationStatus().progress()).isGreaterThan(fencedAt);
    } finally {
      writer.stop();
      thread.join();
    }
    assertThat(writer.failure()).isNull();
    awaitCaughtUp(b, a, c);
    Set<Long> acknowledged = new HashSet<>(writer.acknowledged());
    for (EngineFixture member : List.of(b, a, c)) {
      assertThat(rows(member)).containsAll(acknowledged);
    }
    assertThat(replication(b).replicationStatus().role()).isEqualTo(ReplicationStatus.PRIMARY);
    ReplicationStatus demoted = replication(a).replicationStatus();
    assertThat(demoted.role()).isEqualTo(ReplicationStatus.REPLICA);
    assertThat(demoted.sourceHost()).isEqualTo(b.address());
    assertRefusesWrites(a, APP, APP_PASSWORD);
  }

  @Test
  @Order(6)
  void afterAFailoverTheOldPrimaryComesBackFencedAndRejoinsAsAReplica() throws Exception {
    insert(b, 600);
    awaitCaughtUp(b, a, c);
    long pid = b.engine().pid().orElseThrow();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    await()
        .atMost(CATCH_UP)
        .until(() -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    // the control plane promotes the most advanced replica and repoints the other to it
    EngineFixture next =
        replication(a).replicationStatus().progress()
                >= replication(c).replicationStatus().progress()
            ? a
            : c;
    EngineFixture other = next == a ? c : a;
    replication(next).promote();
    replication(other).repoint(setup(next, null));
    insert(next, 601);
    awaitRow(other, 601);

    // the old primary comes back: its recorded role still says primary, so it is fenced
    b.engine().start();
    Connection open = connect(b, APP, APP_PASSWORD);
    try (open) {
      open.setAutoCommit(false);
      try (Statement s = open.createStatement()) {
        s.execute("INSERT INTO seq (n) VALUES (-1)");
      }
      replication(b).fence();
      // its open session was ended: what it started cannot be committed
      assertThatThrownBy(open::commit).isInstanceOf(SQLException.class);
    }
    assertRefusesWrites(b, APP, APP_PASSWORD);
    assertRefusesWrites(b, "root", rootPassword);
    // fenced survives a restart of the server (and of the agent: the role is in its directory)
    b.engine().stop();
    b.engine().start();
    assertRefusesWrites(b, APP, APP_PASSWORD);
    assertThat(replication(b).replicationStatus().role()).isEqualTo(ReplicationStatus.FENCED);

    replication(b).repoint(setup(next, null));
    insert(next, 602);
    awaitRow(b, 602);
    awaitCaughtUp(next, b, other);
    assertThat(rows(b)).doesNotContain(-1L);
    ReplicationStatus rejoined = replication(b).replicationStatus();
    assertThat(rejoined.role()).isEqualTo(ReplicationStatus.REPLICA);
    assertThat(rejoined.sourceHost()).isEqualTo(next.address());
    a = next;
    c = other;
  }

  @Test
  @Order(7)
  void withSemiSyncACommitIsOnTheReplicaBeforeThePrimaryAcknowledgesIt() throws Exception {
    // after the failover the primary is `a`, with replicas `b` and `c`
    replication(a).prepareSource(new SourceRequest(credentials, "c", true));
    replication(c).repoint(setup(a, null, true));
    await().atMost(CATCH_UP).until(() -> status(a, "Rpl_semi_sync_master_clients") >= 1);
    insert(a, 700);
    long yes = status(a, "Rpl_semi_sync_master_yes_tx");
    insert(a, 701);
    assertThat(status(a, "Rpl_semi_sync_master_yes_tx")).isGreaterThan(yes);
    assertThat(variable(a, "rpl_semi_sync_master_enabled")).isIn("1", "ON");
    // right after the commit returned, the replica has already received it
    long committed = new MariaDbDialect().progress(List.of(variable(a, "gtid_binlog_pos")));
    assertThat(new MariaDbDialect().progress(List.of(receivedBy(c)))).isEqualTo(committed);
    awaitRow(c, 701);
  }

  @Test
  @Order(8)
  void aReplicaPromotedBeforeItAppliedAnythingNumbersOnFromItsBackup() throws Exception {
    replication(a).prepareSource(new SourceRequest(credentials, "d", false));
    ByteArrayOutputStream backup = new ByteArrayOutputStream();
    BackupManifest manifest = ((BackupEngine) a.engine()).backup(Optional.empty(), backup);
    long atBackup = new MariaDbDialect().progress(List.of(manifest.position().get("binlog_gtid")));
    EngineFixture d = newFixture();
    prepareReplica(d, manifest, backup.toByteArray(), setup(a, manifest));
    assertThat(replication(d).replicationStatus().progress()).isEqualTo(atBackup);
    // detached from the set (a promotion of a replica nobody else follows)
    replication(d).promote();
    insert(d, 800);
    assertThat(replication(d).replicationStatus().progress()).isEqualTo(atBackup + 1);
  }

  // ---- set-up, as the agent's PREPARE of a replica does it --------------------------------

  private EngineFixture newFixture() throws Exception {
    EngineFixture fixture = EngineFixture.create(factory, 256);
    fixtures.add(fixture);
    return fixture;
  }

  private static void prepareReplica(
      EngineFixture replica, BackupManifest manifest, byte[] backup, ReplicaSetup setup) {
    replica.engine().initialize();
    replica.engine().stop();
    ((BackupEngine) replica.engine())
        .restore(
            List.of(
                new BackupSource() {
                  @Override
                  public BackupManifest manifest() {
                    return manifest;
                  }

                  @Override
                  public InputStream open() {
                    return new ByteArrayInputStream(backup);
                  }
                }));
    replica.engine().stop();
    replication(replica).configureReplica(setup);
    replica.engine().start();
    replication(replica).startReplica(setup);
    replication(replica).startReplica(setup);
  }

  private ReplicaSetup setup(EngineFixture source, BackupManifest manifest) {
    return setup(source, manifest, false);
  }

  private ReplicaSetup setup(EngineFixture source, BackupManifest manifest, boolean synchronous) {
    return new ReplicaSetup(
        source.context().instanceId(),
        source.address(),
        source.port(),
        credentials,
        manifest == null ? null : manifest.position(),
        synchronous);
  }

  private static ReplicationEngine replication(EngineFixture fixture) {
    return (ReplicationEngine) fixture.engine();
  }

  // ---- tenant's view, through the driver ---------------------------------------------------

  private static Connection connect(EngineFixture fixture, String user, String password)
      throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "2000");
    p.setProperty("socketTimeout", "10000");
    return DriverManager.getConnection(
        "jdbc:mariadb://" + fixture.address() + ":" + fixture.port() + "/shop", p);
  }

  private static void insert(EngineFixture fixture, long n) {
    try (Connection app = connect(fixture, APP, APP_PASSWORD);
        Statement s = app.createStatement()) {
      s.execute("INSERT INTO seq (n) VALUES (" + n + ")");
    } catch (SQLException e) {
      throw new AssertionError("insert " + n + " failed: " + e.getMessage(), e);
    }
  }

  private static void assertRefusesWrites(EngineFixture fixture, String user, String password)
      throws SQLException {
    try (Connection conn = connect(fixture, user, password);
        Statement s = conn.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM seq")) {
        assertThat(rs.next()).isTrue();
      }
      assertThatThrownBy(() -> s.execute("INSERT INTO seq (n) VALUES (-2)"))
          .isInstanceOfSatisfying(
              SQLException.class,
              e -> assertThat(e.getErrorCode()).isEqualTo(ER_OPTION_PREVENTS_STATEMENT));
    }
  }

  private static List<Long> rows(EngineFixture fixture) throws SQLException {
    List<Long> rows = new ArrayList<>();
    try (Connection app = connect(fixture, APP, APP_PASSWORD);
        Statement s = app.createStatement();
        ResultSet rs = s.executeQuery("SELECT n FROM seq")) {
      while (rs.next()) {
        rows.add(rs.getLong(1));
      }
    }
    return rows;
  }

  private static void awaitRow(EngineFixture fixture, long n) {
    await().atMost(CATCH_UP).until(() -> rows(fixture).contains(n));
  }

  private static void awaitCaughtUp(EngineFixture primary, EngineFixture... replicas) {
    for (EngineFixture replica : replicas) {
      await()
          .atMost(CATCH_UP)
          .until(
              () ->
                  replication(replica).replicationStatus().progress()
                      == replication(primary).replicationStatus().progress());
    }
  }

  private String variable(EngineFixture fixture, String name) throws SQLException {
    try (Connection root = connect(fixture, "root", rootPassword);
        Statement s = root.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@GLOBAL." + name)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private long status(EngineFixture fixture, String name) throws SQLException {
    try (Connection root = connect(fixture, "root", rootPassword);
        Statement s = root.createStatement();
        ResultSet rs = s.executeQuery("SHOW GLOBAL STATUS LIKE '" + name + "'")) {
      return rs.next() ? rs.getLong(2) : -1;
    }
  }

  private String receivedBy(EngineFixture replica) throws SQLException {
    try (Connection root = connect(replica, "root", rootPassword);
        Statement s = root.createStatement();
        ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
      return rs.next() ? rs.getString("Gtid_IO_Pos") : "";
    }
  }

  private static Set<Long> serverIdsIn(String gtids) {
    Set<Long> ids = new HashSet<>();
    Matcher m = Pattern.compile("\\d+-(\\d+)-\\d+").matcher(gtids);
    while (m.find()) {
      ids.add(Long.parseLong(m.group(1)));
    }
    return ids;
  }

  /**
   * A client inserting increasing numbers as fast as it can, remembering each one the server
   * acknowledged; when its server refuses, it tries the other one with the same number.
   */
  private static final class Writer implements Runnable {
    private final List<EngineFixture> targets;
    private final List<Long> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile Throwable failure;
    private long next;

    Writer(List<EngineFixture> targets, long first) {
      this.targets = targets;
      this.next = first;
    }

    @Override
    public void run() {
      int target = 0;
      try {
        while (!stopped.get()) {
          try (Connection conn = connect(targets.get(target), APP, APP_PASSWORD);
              Statement s = conn.createStatement()) {
            while (!stopped.get()) {
              s.execute("INSERT INTO seq (n) VALUES (" + next + ")");
              acknowledged.add(next);
              next++;
            }
          } catch (SQLException refused) {
            target = 1 - target;
          }
        }
      } catch (RuntimeException | Error e) {
        failure = e;
      }
    }

    List<Long> acknowledged() {
      synchronized (acknowledged) {
        return List.copyOf(acknowledged);
      }
    }

    void stop() {
      stopped.set(true);
    }

    Throwable failure() {
      return failure;
    }
  }
}

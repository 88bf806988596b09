package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.engine.ClusterEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.datastores.InstalledVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three real MariaDB servers in one Galera cluster on 127.101.0.1-3, made through the cluster SPI
 * in the order the control plane uses (configure all, start the bootstrap member, then the joiners
 * one at a time, then form), and checked as the tenant through Connector/J. The cluster loses a
 * member and stops as a whole later on, so the tests run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GaleraClusterTest {
  private static final Duration REPLICATED = Duration.ofSeconds(30);
  private static final String APP = "app";
  private static final String APP_PASSWORD = "app-Pw-1";
  private static final String SECRET = "Galera-Shared-Secret-42";
  private static final Set<Integer> GALERA_PORTS = Set.of(3306, 4444, 4567, 4568);

  private final MariaDbEngineFactory factory = new MariaDbEngineFactory();
  private final List<Member> members = new ArrayList<>();
  private final String clusterId = "galera-" + Long.toHexString(System.nanoTime());
  // every TCP listener on a Galera port seen while the class runs, sampled every 50 ms: the
  // transfer's listeners live only for seconds
  private final Set<String> listeners = new ConcurrentSkipListSet<>();
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
  private Path base;

  /** One member: its engine and where it runs. */
  private record Member(EngineContext context, Engine engine) {
    ClusterEngine cluster() {
      return (ClusterEngine) engine;
    }

    String address() {
      return context.bindAddress();
    }

    String id() {
      return context.instanceId();
    }
  }

  @BeforeAll
  void formAClusterOfThreeByBootstrapAndTwoStateTransfers() throws Exception {
    sampler.scheduleWithFixedDelay(this::sampleListeners, 0, 50, TimeUnit.MILLISECONDS);
    try {
      InstalledVersion version = factory.discover().get(0);
      assertThat(version.binaries()).containsKey(GaleraCluster.PROVIDER);
      Optional<String> user =
          OsProcesses.isRoot() ? Optional.of(EngineFixture.ENGINE_USER) : Optional.empty();
      user.ifPresent(OsProcesses::ensureSystemUser);
      Path tests = Path.of(System.getProperty("java.io.tmpdir"), "coffer-engine-tests");
      Files.createDirectories(tests);
      base = Files.createTempDirectory(tests, "galera");
      Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
      for (int i = 1; i <= 3; i++) {
        Path dir = Files.createDirectory(base.resolve("m" + i));
        EngineContext context =
            EngineContext.of(
                "galera-m" + i, "127.101.0." + i, 3306, dir, 256, user, version.binaries());
        members.add(new Member(context, factory.create(context)));
      }
      for (Member m : members) {
        m.engine().initialize();
        m.cluster().configureCluster(setup(m));
      }
      for (Member m : members) {
        m.engine().start();
      }
      members.get(0).cluster().formCluster(setup(members.get(0)));
    } catch (Exception | AssertionError e) {
      tearDown();
      throw e;
    }
  }

  @AfterAll
  void tearDown() throws IOException {
    sampler.shutdownNow();
    for (Member m : members) {
      try {
        m.engine().stop();
      } catch (RuntimeException e) {
        m.engine().pid().ifPresent(pid -> OsProcesses.terminate(pid, Duration.ofSeconds(5)));
      }
    }
    if (base != null) {
      try (Stream<Path> paths = Files.walk(base)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void everyMemberSeesAHealthyClusterOfThreeAndTheJoinersGotTheirDataByMariaBackup()
      throws IOException {
    for (Member m : members) {
      ClusterStatus status = m.cluster().clusterStatus();
      assertThat(status.healthy()).as(m.id()).isTrue();
      assertThat(status.members()).containsExactly("galera-m1", "galera-m2", "galera-m3");
      assertThat(status.details())
          .containsEntry("wsrep_cluster_status", "Primary")
          .containsEntry("wsrep_cluster_size", "3")
          .containsEntry("wsrep_local_state_comment", "Synced");
      assertThat(status.details().get("wsrep_incoming_addresses"))
          .contains("127.101.0.1:3306", "127.101.0.2:3306", "127.101.0.3:3306");
    }
    assertThat(members.get(0).cluster().clusterStatus().details())
        .containsEntry("bootstrapped", "1");
    for (Member joiner : members.subList(1, 3)) {
      assertThat(joiner.cluster().clusterStatus().details()).containsEntry("bootstrapped", "0");
      assertThat(errorLog(joiner)).contains("mariabackup").contains("SST succeeded");
    }
  }

  @Test
  @Order(2)
  void theSharedSecretIsOnlyInFilesNobodyElseCanRead() throws IOException {
    for (Member m : members) {
      Path instance = m.context().instanceDir();
      assertThat(Files.readString(instance.resolve("my.cnf"))).doesNotContain(SECRET);
      Path options = instance.resolve(GaleraCluster.SECRET_OPTIONS);
      assertThat(Files.readString(options)).contains(SECRET);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(options)))
          .isEqualTo("rw-------");
      assertThat(errorLog(m)).doesNotContain(SECRET);
    }
  }

  @Test
  @Order(3)
  void nothingListensOnAWildcardAddressAndTheTransfersListenedOnTheMembersOwn() {
    sampleListeners();
    assertThat(listeners).noneMatch(l -> l.startsWith("0.0.0.0:") || l.startsWith("[::]:"));
    assertThat(listeners)
        .contains(
            "127.101.0.1:3306",
            "127.101.0.1:4567",
            "127.101.0.2:4567",
            "127.101.0.3:4567",
            // the joiners' state transfer (socat) and incremental transfer receivers
            "127.101.0.2:4444",
            "127.101.0.3:4444");
  }

  @Test
  @Order(4)
  void aUserCreatedOnOneMemberLogsInOnTheOthers() {
    members.get(0).engine().createDatabase(DatabaseSpec.named("shop"));
    members.get(0).engine().createUser(new UserSpec(APP, null, APP_PASSWORD, List.of("shop")));
    for (Member m : members) {
      await()
          .atMost(REPLICATED)
          .untilAsserted(
              () -> {
                try (Connection c = connectApp(m)) {
                  assertThat(c.isValid(2)).isTrue();
                }
              });
    }
  }

  @Test
  @Order(5)
  void aWriteOnEachMemberIsReadOnTheOthers() throws SQLException {
    execute(members.get(0), "CREATE TABLE items (id INT PRIMARY KEY, member VARCHAR(20))");
    for (int i = 0; i < 3; i++) {
      Member m = members.get(i);
      await()
          .atMost(REPLICATED)
          .ignoreExceptions()
          .untilAsserted(
              () ->
                  execute(
                      m,
                      "INSERT INTO items VALUES ("
                          + (m.id().hashCode() & 0xffff)
                          + ", '"
                          + m.id()
                          + "')"));
    }
    for (Member m : members) {
      await()
          .atMost(REPLICATED)
          .untilAsserted(
              () ->
                  assertThat(items(m))
                      .containsExactlyInAnyOrder("galera-m1", "galera-m2", "galera-m3"));
    }
  }

  @Test
  @Order(6)
  void aKilledMemberRejoinsByIncrementalTransferAndSeesWhatItMissed()
      throws SQLException, IOException {
    Member third = members.get(2);
    long pid = third.engine().pid().orElseThrow();
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await().atMost(Duration.ofSeconds(10)).until(() -> !OsProcesses.isAlive(pid));

    // two of three keep quorum: both survivors still take writes
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(members.get(0).cluster().clusterStatus().details())
                    .containsEntry("wsrep_cluster_size", "2")
                    .containsEntry("wsrep_cluster_status", "Primary"));
    execute(members.get(0), "INSERT INTO items VALUES (101, 'while-away-1')");
    execute(members.get(1), "INSERT INTO items VALUES (102, 'while-away-2')");

    third.engine().start();
    assertThat(items(third)).contains("while-away-1", "while-away-2");
    assertThat(third.cluster().clusterStatus().details())
        .containsEntry("wsrep_cluster_size", "3")
        .containsEntry("wsrep_local_state_comment", "Synced");
    String log = errorLog(third);
    String sinceRestart = log.substring(log.lastIndexOf(" as process "));
    // the transfer script runs either way; only a full transfer prepares a backup
    assertThat(sinceRestart)
        .contains("mariabackup IST completed on joiner", "Receiving IST: ")
        .doesNotContain("Preparing the backup");
  }

  @Test
  @Order(7)
  void theWholeClusterStopsCleanlyAndComesBackWithTheLastStoppedBootstrapping()
      throws SQLException {
    for (Member m : members) {
      m.engine().stop();
    }
    // the third stopped last: only it may start the cluster again; the others join it
    Member last = members.get(2);
    last.engine().start();
    members.get(0).engine().start();
    members.get(1).engine().start();
    members.get(0).cluster().formCluster(setup(members.get(0)));

    assertThat(last.cluster().clusterStatus().details()).containsEntry("bootstrapped", "1");
    assertThat(members.get(0).cluster().clusterStatus().details())
        .containsEntry("bootstrapped", "1");
    execute(members.get(1), "INSERT INTO items VALUES (201, 'after-restart')");
    for (Member m : members) {
      await()
          .atMost(REPLICATED)
          .untilAsserted(
              () -> assertThat(items(m)).contains("while-away-1", "while-away-2", "after-restart"));
      assertThat(m.cluster().clusterStatus().healthy()).isTrue();
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private ClusterSetup setup(Member self) {
    List<ClusterMember> all =
        members.stream().map(m -> new ClusterMember(m.id(), m.address(), 3306)).toList();
    return new ClusterSetup(clusterId, all, self.id(), self == members.get(0), Map.of(), SECRET);
  }

  private static Connection connectApp(Member m) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", APP);
    p.setProperty("password", APP_PASSWORD);
    p.setProperty("connectTimeout", "3000");
    return DriverManager.getConnection("jdbc:mariadb://" + m.address() + ":3306/shop", p);
  }

  private static void execute(Member m, String sql) throws SQLException {
    try (Connection c = connectApp(m);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static List<String> items(Member m) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection c = connectApp(m);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT member FROM items")) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  private static String errorLog(Member m) throws IOException {
    return Files.readString(
        m.context().logDir().resolve(ServerConfig.ERROR_LOG), StandardCharsets.ISO_8859_1);
  }

  /** Adds every listening TCP socket on a Galera or MariaDB port, as address:port. */
  private void sampleListeners() {
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.strip().split("\\s+");
          if (f.length < 4 || !f[3].equals("0A")) {
            continue;
          }
          String[] local = f[1].split(":");
          int port = Integer.parseInt(local[1], 16);
          if (GALERA_PORTS.contains(port)) {
            listeners.add(address(local[0]) + ":" + port);
          }
        }
      } catch (IOException | RuntimeException e) {
        // a sample missed is no finding
      }
    }
  }

  /** /proc/net's little-endian hex address as text; IPv6 only as far as the wildcard matters. */
  private static String address(String hex) {
    if (hex.length() == 8) {
      long v = Long.parseLong(hex, 16);
      return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + (v >> 24);
    }
    if (hex.matches("0+")) {
      return "[::]";
    }
    if (hex.startsWith("0000000000000000FFFF0000")) {
      return address(hex.substring(24));
    }
    return "[" + hex + "]";
  }
}

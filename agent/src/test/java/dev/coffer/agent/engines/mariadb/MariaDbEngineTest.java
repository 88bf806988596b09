package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real MariaDB server, driven through the engine and checked with MariaDB Connector/J connecting
 * as the tenant's users. One server serves the whole class; each test uses its own names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MariaDbEngineTest {
  private final MariaDbEngineFactory factory = new MariaDbEngineFactory();
  private EngineFixture fixture;
  private Engine engine;

  @BeforeAll
  void startServer() throws Exception {
    fixture = EngineFixture.create(factory, 256);
    engine = fixture.engine();
    try {
      engine.initialize();
      engine.start();
    } catch (RuntimeException e) {
      fixture.close();
      throw e;
    }
  }

  @AfterAll
  void removeServer() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void theServerRunsAsTheUnprivilegedUserAndReportsItsPid() {
    assertThat(engine.isHealthy()).isTrue();
    long pid = engine.pid().orElseThrow();
    ProcessHandle server = ProcessHandle.of(pid).orElseThrow();
    assertThat(server.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("mariadbd"));
    fixture
        .context()
        .runAsUser()
        .ifPresent(user -> assertThat(server.info().user()).hasValue(user));
  }

  @Test
  void aUserCannotReadADatabaseItWasNotGranted() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("shop"));
    engine.createDatabase(DatabaseSpec.named("payroll"));
    engine.createDatabase(DatabaseSpec.named("app_one"));
    engine.createDatabase(DatabaseSpec.named("appXone"));
    engine.createUser(new UserSpec("alice", null, "alice-Pw-1", List.of("shop", "app_one")));

    try (Connection c = connect("alice", "alice-Pw-1", "shop");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(20))");
      s.execute("INSERT INTO orders VALUES (1, 'apple')");
      try (ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id = 1")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("apple");
      }
      s.execute("CREATE TABLE app_one.t (id INT)");
      assertSqlRefused(() -> s.executeQuery("SELECT * FROM payroll.salaries"));
      assertSqlRefused(() -> s.execute("CREATE TABLE payroll.t (id INT)"));
      // the underscore in app_one is not a wildcard that opens appXone
      assertSqlRefused(() -> s.execute("CREATE TABLE appXone.t (id INT)"));
    }
    assertSqlRefused(() -> connect("alice", "alice-Pw-1", "payroll").close());
    assertThat(engine.findUser(new UserRef("alice", "%")))
        .hasValue(new UserInfo("alice", "%", List.of("app_one", "shop")));
  }

  @Test
  void aWrongPasswordIsRefused() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("wrongpw"));
    engine.createUser(new UserSpec("carol", "%", "carol-Pw-1", List.of("wrongpw")));
    connect("carol", "carol-Pw-1", "wrongpw").close();
    assertSqlRefused(() -> connect("carol", "not-her-password", "wrongpw").close());
    assertSqlRefused(() -> connect("carol", "", "wrongpw").close());
  }

  @Test
  void anSqlInjectionLookingNameIsRefused() {
    String evil = "x`; DROP DATABASE shop; --";
    assertThat(factory.descriptor().databaseNames().violation(evil)).isPresent();
    assertThat(factory.descriptor().userNames().violation("bob'@'%")).isPresent();
    assertKind(() -> engine.createDatabase(DatabaseSpec.named(evil)), ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createUser(new UserSpec("bob'@'%", "%", "pw-pw-pw", List.of())),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createUser(new UserSpec("bob", "%' OR '1", "pw-pw-pw", List.of())),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("charset", "utf8; DROP DATABASE x", null)),
        ErrorKind.BAD_REQUEST);
    assertThat(engine.findUser(new UserRef("bob'@'%", "%"))).isEmpty();
  }

  @Test
  void duplicatesConflictAndMissingObjectsAreNotFound() {
    engine.createDatabase(DatabaseSpec.named("twice"));
    assertThatThrownBy(() -> engine.createDatabase(DatabaseSpec.named("twice")))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT))
        .hasMessage("A database with the name \"twice\" already exists.");
    engine.createUser(new UserSpec("dave", "%", "dave-Pw-1", List.of()));
    assertThatThrownBy(() -> engine.createUser(new UserSpec("dave", "%", "x-Pw-2", List.of())))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT))
        .hasMessage("A user with the name \"dave\" already exists.");
    // the same name on another host is another user
    engine.createUser(new UserSpec("dave", "10.0.0.%", "dave-Pw-3", List.of()));

    assertThatThrownBy(() -> engine.deleteUser(new UserRef("ghost", "%")))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.NOT_FOUND))
        .hasMessage("User ghost cannot be found on the instance.");
    assertThatThrownBy(() -> engine.deleteDatabase("ghostdb"))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.NOT_FOUND))
        .hasMessage("Database ghostdb cannot be found on the instance.");
    assertKind(
        () -> engine.grantAccess(new AccessChange(new UserRef("dave", "%"), List.of("ghostdb"))),
        ErrorKind.NOT_FOUND);
    assertKind(
        () -> engine.createUser(new UserSpec("erin", "%", "erin-Pw-1", List.of("ghostdb"))),
        ErrorKind.NOT_FOUND);
    assertThat(engine.findUser(new UserRef("erin", "%"))).isEmpty();
  }

  @Test
  void reservedNamesAreRefusedAndNeverListed() {
    assertKind(() -> engine.createDatabase(DatabaseSpec.named("mysql")), ErrorKind.BAD_REQUEST);
    assertKind(() -> engine.deleteDatabase("information_schema"), ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createUser(new UserSpec("root", "%", "pw-pw-pw", List.of())),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.deleteUser(new UserRef("os_admin", "127.0.0.1")), ErrorKind.BAD_REQUEST);
    assertThat(engine.listDatabases())
        .extracting(DatabaseSpec::name)
        .doesNotContain("mysql", "information_schema", "performance_schema", "sys");
    assertThat(engine.listUsers())
        .extracting(UserInfo::name)
        .doesNotContain("os_admin", "root", "mariadb.sys", "", "PUBLIC");
    assertThat(engine.findUser(new UserRef("os_admin", "127.0.0.1"))).isEmpty();
  }

  @Test
  void databasesKeepTheirCharacterSetAndCollation() {
    engine.createDatabase(DatabaseSpec.named("defaults"));
    engine.createDatabase(new DatabaseSpec("latin", "latin1", null));
    engine.createDatabase(new DatabaseSpec("binary_utf", "utf8mb4", "utf8mb4_bin"));
    assertThat(engine.listDatabases())
        .contains(
            new DatabaseSpec("defaults", "utf8mb4", "utf8mb4_general_ci"),
            new DatabaseSpec("latin", "latin1", "latin1_swedish_ci"),
            new DatabaseSpec("binary_utf", "utf8mb4", "utf8mb4_bin"));
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("klingon", "klingon", null)),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("mixed", "latin1", "utf8mb4_bin")),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("nocoll", null, "no_such_ci")),
        ErrorKind.BAD_REQUEST);
  }

  @Test
  void usersAreListedFoundUpdatedRevokedAndDeleted() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("ledger"));
    engine.createDatabase(DatabaseSpec.named("ledger-archive"));
    engine.createUser(new UserSpec("frank", null, "frank-Pw-1", List.of("ledger")));
    engine.grantAccess(new AccessChange(new UserRef("frank", "%"), List.of("ledger-archive")));
    assertThat(engine.listUsers())
        .contains(new UserInfo("frank", "%", List.of("ledger", "ledger-archive")));

    engine.updateUser(new UserUpdate(new UserRef("frank", "%"), null, null, "frank-Pw-2"));
    assertSqlRefused(() -> connect("frank", "frank-Pw-1", "ledger").close());
    connect("frank", "frank-Pw-2", "ledger").close();

    // a host pattern that does not match the client (loopback clients come from 127.0.0.1)
    engine.updateUser(new UserUpdate(new UserRef("frank", "%"), null, "10.9.8.%", null));
    assertSqlRefused(() -> connect("frank", "frank-Pw-2", "ledger").close());
    assertThat(engine.findUser(new UserRef("frank", "%"))).isEmpty();
    engine.updateUser(
        new UserUpdate(new UserRef("frank", "10.9.8.%"), "franky", "127.0.0.1", null));
    connect("franky", "frank-Pw-2", "ledger").close();
    assertThat(engine.findUser(new UserRef("franky", "127.0.0.1")))
        .hasValue(new UserInfo("franky", "127.0.0.1", List.of("ledger", "ledger-archive")));

    engine.revokeAccess(new AccessChange(new UserRef("franky", "127.0.0.1"), List.of("ledger")));
    assertSqlRefused(() -> connect("franky", "frank-Pw-2", "ledger").close());
    connect("franky", "frank-Pw-2", "ledger-archive").close();
    assertKind(
        () ->
            engine.revokeAccess(
                new AccessChange(new UserRef("franky", "127.0.0.1"), List.of("ledger"))),
        ErrorKind.NOT_FOUND);

    engine.createUser(new UserSpec("grace", "%", "grace-Pw-1", List.of()));
    assertKind(
        () ->
            engine.updateUser(
                new UserUpdate(new UserRef("grace", "%"), "franky", "127.0.0.1", null)),
        ErrorKind.CONFLICT);

    engine.deleteUser(new UserRef("franky", "127.0.0.1"));
    assertSqlRefused(() -> connect("franky", "frank-Pw-2", "ledger-archive").close());
    assertThat(engine.findUser(new UserRef("franky", "127.0.0.1"))).isEmpty();
    assertThat(engine.listUsers()).extracting(UserInfo::name).doesNotContain("franky", "frank");
  }

  @Test
  void droppingADatabaseRemovesItsGrants() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("scratch"));
    engine.createUser(new UserSpec("heidi", "%", "heidi-Pw-1", List.of("scratch")));
    engine.deleteDatabase("scratch");
    assertThat(engine.listDatabases()).extracting(DatabaseSpec::name).doesNotContain("scratch");
    assertThat(engine.findUser(new UserRef("heidi", "%")))
        .hasValue(new UserInfo("heidi", "%", List.of()));
    // a new database of the same name does not silently open to the old grantee
    engine.createDatabase(DatabaseSpec.named("scratch"));
    assertSqlRefused(() -> connect("heidi", "heidi-Pw-1", "scratch").close());
  }

  @Test
  void rootEnableReturnsAWorkingPasswordAndDisableRemovesAccess() throws SQLException {
    assertThat(engine.isRootEnabled()).isFalse();
    RootCredentials generated = engine.enableRoot(Optional.empty());
    assertThat(generated.name()).isEqualTo("root");
    assertThat(engine.isRootEnabled()).isTrue();
    try (Connection c = connect("root", generated.password(), "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE IF NOT EXISTS rootmade");
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM mysql.user")) {
        assertThat(rs.next()).isTrue();
      }
    }

    // quotes and backslashes are bound by the driver, not pasted into the statement
    String chosenPassword = "Chosen'Root\\\"Pw`9; --";
    RootCredentials chosen = engine.enableRoot(Optional.of(chosenPassword));
    assertThat(chosen.password()).isEqualTo(chosenPassword);
    assertSqlRefused(() -> connect("root", generated.password(), "").close());
    connect("root", chosenPassword, "").close();

    engine.disableRoot();
    assertThat(engine.isRootEnabled()).isFalse();
    assertSqlRefused(() -> connect("root", chosenPassword, "").close());
    engine.disableRoot();
  }

  @Test
  void dataSurvivesAStopAndAStart() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("durable"));
    engine.createUser(new UserSpec("ivan", "%", "ivan-Pw-1", List.of("durable")));
    try (Connection c = connect("ivan", "ivan-Pw-1", "durable");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE kept (v VARCHAR(10))");
      s.execute("INSERT INTO kept VALUES ('still here')");
    }
    long before = engine.pid().orElseThrow();

    engine.stop();
    assertThat(engine.pid()).isEmpty();
    assertThat(ProcessHandle.of(before).map(ProcessHandle::isAlive))
        .isNotEqualTo(Optional.of(true));
    assertThat(engine.isHealthy()).isFalse();
    engine.stop();

    engine.initialize();
    engine.start();
    assertThat(engine.isHealthy()).isTrue();
    assertThat(engine.pid()).isPresent().isNotEqualTo(Optional.of(before));
    try (Connection c = connect("ivan", "ivan-Pw-1", "durable");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("still here");
    }
    // the agent's one-off bootstrap file, holding its password, is gone once the server runs
    assertThat(Files.exists(fixture.context().runDir().resolve("bootstrap.sql"))).isFalse();
  }

  @Test
  void aSecondEngineObjectAdoptsTheRunningServer() {
    long pid = engine.pid().orElseThrow();
    Engine adopter = factory.create(fixture.context());
    assertThat(adopter.isHealthy()).isTrue();
    assertThat(adopter.pid()).hasValue(pid);
    adopter.initialize();
    adopter.start();
    assertThat(adopter.pid()).hasValue(pid);
    assertThat(serversOfThisInstance()).isEqualTo(1);
    assertThat(adopter.listDatabases()).isNotNull();
  }

  private long serversOfThisInstance() {
    String defaults = "--defaults-file=" + fixture.context().instanceDir().resolve("my.cnf");
    return ProcessHandle.allProcesses()
        .filter(
            p -> p.info().arguments().map(args -> List.of(args).contains(defaults)).orElse(false))
        .count();
  }

  @Test
  void reportsItsConnectionsAndAnOperationsCounterThatGrows() throws SQLException {
    engine.createUser(new UserSpec("meter", "%", "meter-Pw-1", List.of()));
    EngineMetrics before = engine.metrics().orElseThrow();
    try (Connection c = connect("meter", "meter-Pw-1", "");
        Statement s = c.createStatement()) {
      for (int i = 0; i < 20; i++) {
        s.execute("SELECT 1");
      }
      EngineMetrics during = engine.metrics().orElseThrow();
      assertThat(during.connections()).as("ours and the agent's own").isGreaterThanOrEqualTo(2);
      assertThat(during.operationsTotal()).isGreaterThanOrEqualTo(before.operationsTotal() + 20);
    }
  }

  private Connection connect(String user, String password, String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection(
        "jdbc:mariadb://" + fixture.address() + ":" + fixture.port() + "/" + database, p);
  }

  private static void assertSqlRefused(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(SQLException.class);
  }

  private static void assertKind(ThrowingCallable call, ErrorKind kind) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }
}

package dev.coffer.agent.engines.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.io.IOException;
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
 * A real PostgreSQL server, initialised and started once for the class, driven through the Engine
 * SPI and checked with pgjdbc as the users it creates. Each test uses its own names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresEngineTest {
  private EngineFixture fixture;
  private Engine engine;

  @BeforeAll
  void initialiseAndStart() throws IOException {
    fixture = EngineFixture.create(new PostgresEngineFactory(), 256);
    engine = fixture.engine();
    engine.initialize();
    engine.start();
  }

  @AfterAll
  void stopAndRemoveEverything() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void startsAServerThatRunsUnprivilegedWithTheInstanceSettings() throws SQLException {
    assertThat(engine.isHealthy()).isTrue();
    long pid = engine.pid().orElseThrow();
    assertThat(OsProcesses.readPid(fixture.context().dataDir().resolve("postmaster.pid")))
        .contains(pid);
    if (OsProcesses.isRoot()) {
      assertThat(ProcessHandle.of(pid).orElseThrow().info().user())
          .contains(EngineFixture.ENGINE_USER);
    }
    assertThat(fixture.context().runDir().resolve("initdb.pw")).doesNotExist();
    try (Connection admin = admin("postgres")) {
      assertThat(show(admin, "listen_addresses")).isEqualTo(fixture.address());
      assertThat(show(admin, "port")).isEqualTo(String.valueOf(fixture.port()));
      assertThat(show(admin, "shared_buffers")).isEqualTo("64MB");
      assertThat(show(admin, "unix_socket_directories"))
          .isEqualTo(fixture.context().runDir().toString());
      assertThat(show(admin, "server_encoding")).isEqualTo("UTF8");
      assertThat(show(admin, "log_directory")).isEqualTo(fixture.context().logDir().toString());
    }
    // Initialising again leaves the data alone.
    engine.initialize();
    assertThat(engine.pid()).contains(pid);
  }

  @Test
  void aGrantedUserCanCreateAndUseTablesInItsDatabase() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("shop"));
    engine.createUser(new UserSpec("alice", null, "alice-Secret1", List.of("shop")));

    try (Connection alice = connect("alice", "alice-Secret1", "shop");
        Statement s = alice.createStatement()) {
      s.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)");
      s.execute("INSERT INTO orders VALUES (1, 'book')");
      try (ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id = 1")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("book");
      }
    }
  }

  @Test
  void aUserCannotConnectToADatabaseItWasNotGranted() {
    engine.createDatabase(DatabaseSpec.named("granted_db"));
    engine.createDatabase(DatabaseSpec.named("other_db"));
    engine.createUser(new UserSpec("bob", null, "bob-Secret1", List.of("granted_db")));

    assertThatThrownBy(() -> connect("bob", "bob-Secret1", "other_db").close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("permission denied for database");
  }

  @Test
  void aWrongPasswordIsRefused() {
    engine.createDatabase(DatabaseSpec.named("pw_db"));
    engine.createUser(new UserSpec("carol", null, "carol-Secret1", List.of("pw_db")));

    assertThatThrownBy(() -> connect("carol", "not-her-password", "pw_db").close())
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
  }

  @Test
  void namesThatCouldInjectSqlAreRefusedBeforeReachingTheServer() {
    String hostile = "x\"; DROP ROLE os_admin; --";
    assertThat(PostgresEngineFactory.DESCRIPTOR.userNames().violation(hostile)).isPresent();
    assertKind(
        () -> engine.createUser(new UserSpec(hostile, null, "pw-Secret1", List.of())),
        ErrorKind.BAD_REQUEST);
    assertKind(() -> engine.createDatabase(DatabaseSpec.named(hostile)), ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("charset_db", "UTF8'; DROP", null)),
        ErrorKind.BAD_REQUEST);
    assertThat(engine.isHealthy()).isTrue();
  }

  @Test
  void usersAreListedAndFoundWithTheDatabasesTheyCanConnectTo() {
    engine.createDatabase(DatabaseSpec.named("list_a"));
    engine.createDatabase(DatabaseSpec.named("list_b"));
    engine.createUser(new UserSpec("dave", null, "dave-Secret1", List.of("list_a", "list_b")));

    assertThat(engine.listUsers()).contains(new UserInfo("dave", "%", List.of("list_a", "list_b")));
    assertThat(engine.listUsers())
        .extracting(UserInfo::name)
        .doesNotContain("os_admin", "postgres")
        .noneMatch(name -> name.startsWith("access:") || name.startsWith("pg_"));
    assertThat(engine.findUser(new UserRef("dave", "%")))
        .contains(new UserInfo("dave", "%", List.of("list_a", "list_b")));
    assertThat(engine.findUser(new UserRef("nobody", "%"))).isEmpty();
    assertThat(engine.findUser(new UserRef("os_admin", "%"))).isEmpty();
    assertThat(engine.listDatabases())
        .extracting(DatabaseSpec::name)
        .contains("list_a", "list_b")
        .doesNotContain("postgres", "template0", "template1");
  }

  @Test
  void changingAPasswordRefusesTheOldOneAndAcceptsTheNewOne() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("pwchange_db"));
    engine.createUser(new UserSpec("erin", null, "old-Secret1", List.of("pwchange_db")));

    engine.updateUser(new UserUpdate(new UserRef("erin", "%"), null, null, "new-Secret2"));

    assertThatThrownBy(() -> connect("erin", "old-Secret1", "pwchange_db").close())
        .isInstanceOf(SQLException.class);
    connect("erin", "new-Secret2", "pwchange_db").close();
  }

  @Test
  void renamingAUserKeepsItsPasswordAndItsAccess() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("rename_db"));
    engine.createUser(new UserSpec("frank", null, "frank-Secret1", List.of("rename_db")));

    engine.updateUser(new UserUpdate(new UserRef("frank", "%"), "francis", null, null));

    assertThat(engine.findUser(new UserRef("frank", "%"))).isEmpty();
    assertThat(engine.findUser(new UserRef("francis", "%")))
        .contains(new UserInfo("francis", "%", List.of("rename_db")));
    connect("francis", "frank-Secret1", "rename_db").close();
    assertKind(
        () ->
            engine.updateUser(new UserUpdate(new UserRef("francis", "%"), null, "10.0.0.%", null)),
        ErrorKind.UNSUPPORTED);
  }

  @Test
  void revokingAccessEndsOpenSessionsAndRefusesTheNextConnection() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("revoke_db"));
    engine.createUser(new UserSpec("grace", null, "grace-Secret1", List.of("revoke_db")));
    try (Connection open = connect("grace", "grace-Secret1", "revoke_db")) {

      engine.revokeAccess(new AccessChange(new UserRef("grace", "%"), List.of("revoke_db")));

      assertThat(open.isValid(5)).isFalse();
    }
    assertThatThrownBy(() -> connect("grace", "grace-Secret1", "revoke_db").close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("permission denied for database");
    assertThat(engine.findUser(new UserRef("grace", "%")).orElseThrow().databases()).isEmpty();

    engine.grantAccess(new AccessChange(new UserRef("grace", "%"), List.of("revoke_db")));
    connect("grace", "grace-Secret1", "revoke_db").close();
  }

  @Test
  void usersGrantedTheSameDatabaseShareItsTables() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("team_db"));
    engine.createUser(new UserSpec("heidi", null, "heidi-Secret1", List.of("team_db")));
    engine.createUser(new UserSpec("ivan", null, "ivan-Secret1", List.of("team_db")));
    try (Connection heidi = connect("heidi", "heidi-Secret1", "team_db");
        Statement s = heidi.createStatement()) {
      s.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)");
      s.execute("INSERT INTO notes (body) VALUES ('from heidi')");
    }
    try (Connection ivan = connect("ivan", "ivan-Secret1", "team_db");
        Statement s = ivan.createStatement()) {
      s.execute("INSERT INTO notes (body) VALUES ('from ivan')");
      assertThat(count(s, "SELECT count(*) FROM notes")).isEqualTo(2);
    }
  }

  @Test
  void deletingAUserKeepsItsTablesAndRefusesItsLogin() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("owned_db"));
    engine.createUser(new UserSpec("judy", null, "judy-Secret1", List.of("owned_db")));
    engine.createUser(new UserSpec("ken", null, "ken-Secret1", List.of("owned_db")));
    try (Connection judy = connect("judy", "judy-Secret1", "owned_db");
        Statement s = judy.createStatement()) {
      s.execute("CREATE TABLE judys (id int)");
      s.execute("INSERT INTO judys VALUES (1)");
    }

    engine.deleteUser(new UserRef("judy", "%"));

    assertThat(engine.findUser(new UserRef("judy", "%"))).isEmpty();
    assertThat(engine.listUsers()).extracting(UserInfo::name).doesNotContain("judy");
    assertThatThrownBy(() -> connect("judy", "judy-Secret1", "owned_db").close())
        .isInstanceOf(SQLException.class);
    try (Connection ken = connect("ken", "ken-Secret1", "owned_db");
        Statement s = ken.createStatement()) {
      assertThat(count(s, "SELECT count(*) FROM judys")).isEqualTo(1);
    }
  }

  @Test
  void aDatabaseWithConnectedUsersCanBeDeleted() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("busy_db"));
    engine.createUser(new UserSpec("leo", null, "leo-Secret1", List.of("busy_db")));
    try (Connection leo = connect("leo", "leo-Secret1", "busy_db")) {

      engine.deleteDatabase("busy_db");

      assertThat(leo.isValid(5)).isFalse();
    }
    assertThat(engine.listDatabases()).extracting(DatabaseSpec::name).doesNotContain("busy_db");
    assertThat(engine.findUser(new UserRef("leo", "%")).orElseThrow().databases()).isEmpty();
    // A new database of the same name is not open to the old database's users.
    engine.createDatabase(DatabaseSpec.named("busy_db"));
    assertThatThrownBy(() -> connect("leo", "leo-Secret1", "busy_db").close())
        .isInstanceOf(SQLException.class);
  }

  @Test
  void aDatabaseKeepsTheCharacterSetAndCollationItWasCreatedWith() {
    engine.createDatabase(new DatabaseSpec("latin_db", "latin1", null));
    engine.createDatabase(new DatabaseSpec("c_db", "UTF8", "C"));

    assertThat(engine.listDatabases())
        .contains(
            new DatabaseSpec("latin_db", "LATIN1", "C"), new DatabaseSpec("c_db", "UTF8", "C"));
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("bad_cs", "KLINGON", null)),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("bad_coll", null, "xx_YY.nowhere")),
        ErrorKind.BAD_REQUEST);
    assertThat(engine.listDatabases())
        .extracting(DatabaseSpec::name)
        .doesNotContain("bad_cs", "bad_coll");
  }

  @Test
  void duplicatesAreConflictsAndMissingObjectsAreNotFound() {
    engine.createDatabase(DatabaseSpec.named("dup_db"));
    engine.createUser(new UserSpec("mallory", null, "mallory-Secret1", List.of()));

    assertThatThrownBy(() -> engine.createDatabase(DatabaseSpec.named("dup_db")))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT))
        .hasMessage("A database with the name \"dup_db\" already exists.");
    assertThatThrownBy(
            () -> engine.createUser(new UserSpec("mallory", null, "other-Secret1", List.of())))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT))
        .hasMessage("A user with the name \"mallory\" already exists.");
    assertThatThrownBy(() -> engine.deleteUser(new UserRef("ghost", "%")))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.NOT_FOUND))
        .hasMessage("User ghost cannot be found on the instance.");
    assertKind(() -> engine.deleteDatabase("ghost_db"), ErrorKind.NOT_FOUND);
    assertKind(
        () ->
            engine.grantAccess(new AccessChange(new UserRef("mallory", "%"), List.of("ghost_db"))),
        ErrorKind.NOT_FOUND);
    assertKind(
        () -> engine.createUser(new UserSpec("ghost2", null, "pw-Secret1", List.of("ghost_db"))),
        ErrorKind.NOT_FOUND);
    assertThat(engine.findUser(new UserRef("ghost2", "%"))).isEmpty();
    assertKind(() -> engine.deleteUser(new UserRef("os_admin", "%")), ErrorKind.BAD_REQUEST);
    assertKind(() -> engine.deleteUser(new UserRef("access:dup_db", "%")), ErrorKind.NOT_FOUND);
    assertKind(() -> engine.deleteDatabase("postgres"), ErrorKind.BAD_REQUEST);
  }

  @Test
  void enablingRootGivesAWorkingSuperuserAndDisablingItLocksItOut() throws SQLException {
    assertThat(engine.isRootEnabled()).isFalse();

    RootCredentials root = engine.enableRoot(Optional.empty());

    assertThat(root.name()).isEqualTo("postgres");
    assertThat(engine.isRootEnabled()).isTrue();
    try (Connection c = connect("postgres", root.password(), "postgres");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }

    engine.disableRoot();

    assertThat(engine.isRootEnabled()).isFalse();
    assertThatThrownBy(() -> connect("postgres", root.password(), "postgres").close())
        .isInstanceOf(SQLException.class);

    RootCredentials chosen = engine.enableRoot(Optional.of("chosen-Root1"));
    assertThat(chosen.password()).isEqualTo("chosen-Root1");
    connect("postgres", "chosen-Root1", "postgres").close();
    engine.disableRoot();
  }

  @Test
  void stoppingAndStartingKeepsTheData() throws SQLException {
    engine.createDatabase(DatabaseSpec.named("durable_db"));
    engine.createUser(new UserSpec("nina", null, "nina-Secret1", List.of("durable_db")));
    try (Connection nina = connect("nina", "nina-Secret1", "durable_db");
        Statement s = nina.createStatement()) {
      s.execute("CREATE TABLE kept (v text)");
      s.execute("INSERT INTO kept VALUES ('still here')");
    }
    long before = engine.pid().orElseThrow();

    engine.stop();

    assertThat(OsProcesses.isAlive(before)).isFalse();
    assertThat(engine.pid()).isEmpty();
    assertThat(engine.isHealthy()).isFalse();
    engine.stop(); // stopping a stopped engine does nothing

    engine.start();

    assertThat(engine.isHealthy()).isTrue();
    try (Connection nina = connect("nina", "nina-Secret1", "durable_db");
        Statement s = nina.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("still here");
    }
  }

  @Test
  void aSecondEngineForTheSameInstanceAdoptsTheRunningServer() throws IOException {
    long pid = engine.pid().orElseThrow();
    Engine second = new PostgresEngineFactory().create(fixture.context());

    second.start();

    assertThat(second.pid()).contains(pid);
    assertThat(second.isHealthy()).isTrue();
    assertThat(engine.pid()).contains(pid);
    try (var logs = Files.list(fixture.context().logDir())) {
      assertThat(logs).isNotEmpty();
    }
  }

  @Test
  void passwordsNeverReachTheServerOrItsLogs() throws IOException {
    engine.createDatabase(DatabaseSpec.named("quiet_db"));
    engine.createUser(new UserSpec("oscar", null, "created-Pw-4711", List.of("quiet_db")));
    engine.updateUser(new UserUpdate(new UserRef("oscar", "%"), null, null, "changed-Pw-4712"));
    engine.enableRoot(Optional.of("root-Pw-4713"));
    engine.disableRoot();
    assertThatThrownBy(() -> connect("oscar", "wrong-Pw-4714", "quiet_db").close())
        .isInstanceOf(SQLException.class);

    try (var logs = Files.walk(fixture.context().logDir())) {
      for (var log : logs.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(log))
            .as("%s", log)
            .doesNotContain("created-Pw-4711", "changed-Pw-4712", "root-Pw-4713", "wrong-Pw-4714");
      }
    }
  }

  // ---- helpers ----

  @Test
  void reportsItsConnectionsAndAnOperationsCounterThatGrows() throws SQLException {
    EngineMetrics before = engine.metrics().orElseThrow();
    try (Connection c = admin("postgres");
        Statement s = c.createStatement()) {
      for (int i = 0; i < 20; i++) {
        s.execute("SELECT 1");
      }
      assertThat(engine.metrics().orElseThrow().connections())
          .as("ours and the agent's own")
          .isGreaterThanOrEqualTo(2);
      // Backends publish their transaction counts within a second or so of going idle.
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(15))
          .until(
              () ->
                  engine.metrics().orElseThrow().operationsTotal()
                      >= before.operationsTotal() + 20);
    }
  }

  private Connection connect(String user, String password, String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("sslmode", "disable");
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + fixture.address() + ":" + fixture.port() + "/" + database, props);
  }

  private Connection admin(String database) throws SQLException {
    String password = Secrets.readOrCreate(fixture.context().agentDir().resolve("admin.secret"));
    return connect("os_admin", password, database);
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

  private static void assertKind(ThrowingCallable call, ErrorKind kind) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }
}

package dev.coffer.agent.engines.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.InstalledVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisDataException;

/** The Redis engine against a real redis-server, run as the unprivileged user when root. */
class RedisEngineTest {
  private static final RedisEngineFactory FACTORY = new RedisEngineFactory();
  private static final AtomicInteger NAMES = new AtomicInteger();

  private static EngineFixture fixture;
  private static Engine engine;

  @BeforeAll
  static void startRedis() throws Exception {
    fixture = EngineFixture.create(FACTORY, 256);
    engine = fixture.engine();
    engine.initialize();
    engine.start();
  }

  @AfterAll
  static void removeRedis() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void discoveryFindsTheInstalledServerAsMajorDotMinor() {
    List<InstalledVersion> versions = FACTORY.discover();

    assertThat(versions).hasSize(1);
    assertThat(versions.get(0).version()).matches("7\\.\\d+");
    assertThat(versions.get(0).fullVersion()).startsWith(versions.get(0).version() + ".");
    assertThat(versions.get(0).binaries()).containsEntry("server", "/usr/bin/redis-server");
  }

  @Test
  void theDescriptorOffersUsersRootBackupReplicationConfigurationAndClustersButNoDatabases() {
    var descriptor = FACTORY.descriptor();

    assertThat(descriptor.name()).isEqualTo("redis");
    assertThat(descriptor.defaultPort()).isEqualTo(6379);
    assertThat(descriptor.capabilities())
        .containsExactlyInAnyOrder(
            Capability.USERS,
            Capability.ROOT,
            Capability.BACKUP,
            Capability.REPLICATION,
            Capability.CONFIGURATION,
            Capability.CLUSTERS);
    assertThat(descriptor.reservedUsers())
        .containsExactlyInAnyOrder("default", "os_admin", "root", "os_repl", "os_cluster");
    assertThat(descriptor.rootUser()).isEqualTo("root");
  }

  @Test
  void aCreatedUserCanWriteAndReadKeys() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "s3cret-pass", List.of()));

    try (Jedis jedis = connect(name, "s3cret-pass")) {
      jedis.set("greeting:" + name, "hello");
      assertThat(jedis.get("greeting:" + name)).isEqualTo("hello");
    }
  }

  @Test
  void aWrongPasswordIsRefused() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "right-pass", List.of()));

    assertThatThrownBy(() -> connect(name, "wrong-pass").ping())
        .isInstanceOf(JedisAccessControlException.class);
  }

  @Test
  void anUnknownUserAndTheDisabledDefaultUserAreRefused() {
    assertThatThrownBy(() -> connect("nobody", "whatever").ping())
        .isInstanceOf(JedisAccessControlException.class);
    try (Jedis anonymous = new Jedis(fixture.address(), fixture.port(), clientConfig(null, null))) {
      assertThatThrownBy(() -> anonymous.get("any")).hasMessageContaining("NOAUTH");
    }
  }

  @Test
  void aUserCannotRunAdminCommandsButAdminAndRootCan() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of()));
    RootCredentials root = engine.enableRoot(Optional.empty());

    try (Jedis user = connect(name, "user-pass")) {
      assertThatThrownBy(() -> user.configGet("maxmemory"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("NOPERM");
      assertThatThrownBy(() -> user.aclSetUser("sneaky", "on", ">x", "+@all"))
          .hasMessageContaining("NOPERM");
      assertThatThrownBy(() -> user.flushAll()).hasMessageContaining("NOPERM");
    }
    try (Jedis admin = connect("os_admin", adminPassword())) {
      // 75% of the flavor's 256 MB.
      assertThat(admin.configGet("maxmemory")).containsEntry("maxmemory", "201326592");
      assertThat(admin.configGet("maxmemory-policy"))
          .containsEntry("maxmemory-policy", "noeviction");
      assertThat(admin.configGet("appendonly")).containsEntry("appendonly", "yes");
    }
    try (Jedis rootClient = connect(root.name(), root.password())) {
      assertThat(rootClient.configGet("maxmemory")).containsEntry("maxmemory", "201326592");
    }
    engine.disableRoot();
  }

  @Test
  void aclRulesSmuggledIntoAUserNameAreRefused() {
    List<String> attacks =
        List.of(
            "evil on >pw ~* +@all",
            "evil>pw",
            "evil<pw",
            "evil~*",
            "evil+@all",
            "evil'",
            "evil\"",
            "",
            "x".repeat(65));
    for (String attack : attacks) {
      assertThat(FACTORY.descriptor().userNames().violation(attack)).as(attack).isPresent();
      assertKind(
          ErrorKind.BAD_REQUEST,
          () -> engine.createUser(new UserSpec(attack, "%", "pw", List.of())));
    }
    assertThat(engine.listUsers()).extracting(UserInfo::name).noneMatch(n -> n.startsWith("evil"));
    assertThat(FACTORY.descriptor().userNames().violation("app_user-1.v2")).isEmpty();
  }

  @Test
  void reservedUsersCannotBeCreatedChangedOrDeleted() {
    for (String reserved : List.of("default", "os_admin", "root", "os_repl")) {
      assertKind(
          ErrorKind.BAD_REQUEST,
          () -> engine.createUser(new UserSpec(reserved, "%", "pw", List.of())));
      assertKind(ErrorKind.BAD_REQUEST, () -> engine.deleteUser(new UserRef(reserved, "%")));
      assertKind(
          ErrorKind.BAD_REQUEST,
          () -> engine.updateUser(new UserUpdate(new UserRef(reserved, "%"), null, null, "pw")));
      assertThat(engine.findUser(new UserRef(reserved, "%"))).isEmpty();
    }
  }

  @Test
  void listedUsersHaveAnyHostNoDatabasesAndHideReservedOnes() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "pw-list", List.of()));
    engine.enableRoot(Optional.of("root-pass"));

    assertThat(engine.listUsers()).contains(new UserInfo(name, "%", List.of()));
    assertThat(engine.listUsers())
        .extracting(UserInfo::name)
        .doesNotContain("default", "os_admin", "root");
    assertThat(engine.findUser(new UserRef(name, "%")))
        .contains(new UserInfo(name, "%", List.of()));
    assertThat(engine.findUser(new UserRef("missing-user", "%"))).isEmpty();
    engine.disableRoot();
  }

  @Test
  void creatingAnExistingUserIsAConflictAndDeletingAMissingOneIsNotFound() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "pw-1", List.of()));

    assertThatThrownBy(() -> engine.createUser(new UserSpec(name, "%", "pw-2", List.of())))
        .isInstanceOf(EngineException.class)
        .hasMessage("A user with the name \"" + name + "\" already exists.")
        .extracting(e -> ((EngineException) e).kind())
        .isEqualTo(ErrorKind.CONFLICT);
    assertKind(ErrorKind.NOT_FOUND, () -> engine.deleteUser(new UserRef("missing-user", "%")));
    assertKind(
        ErrorKind.NOT_FOUND,
        () -> engine.updateUser(new UserUpdate(new UserRef("missing-user", "%"), null, null, "p")));
  }

  @Test
  void updatingThePasswordReplacesTheOldOne() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "old-pass", List.of()));

    engine.updateUser(new UserUpdate(new UserRef(name, "%"), null, null, "new-pass"));

    assertThatThrownBy(() -> connect(name, "old-pass").ping())
        .isInstanceOf(JedisAccessControlException.class);
    try (Jedis jedis = connect(name, "new-pass")) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void renamingAUserKeepsItsPasswordAndPermissions() {
    String name = newName();
    String renamed = name + "-renamed";
    engine.createUser(new UserSpec(name, "%", "keep-pass", List.of()));

    engine.updateUser(new UserUpdate(new UserRef(name, "%"), renamed, null, null));

    assertThat(engine.findUser(new UserRef(name, "%"))).isEmpty();
    try (Jedis jedis = connect(renamed, "keep-pass")) {
      jedis.set("renamed:" + name, "v");
      assertThatThrownBy(() -> jedis.configGet("maxmemory")).hasMessageContaining("NOPERM");
    }
    String other = newName();
    engine.createUser(new UserSpec(other, "%", "pw", List.of()));
    assertKind(
        ErrorKind.CONFLICT,
        () -> engine.updateUser(new UserUpdate(new UserRef(other, "%"), renamed, null, null)));
  }

  @Test
  void aDeletedUserCanNoLongerLogIn() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "gone-pass", List.of()));

    engine.deleteUser(new UserRef(name, "%"));

    assertThat(engine.findUser(new UserRef(name, "%"))).isEmpty();
    assertThatThrownBy(() -> connect(name, "gone-pass").ping())
        .isInstanceOf(JedisAccessControlException.class);
  }

  @Test
  void rootCanBeEnabledWithAGeneratedPasswordAndDisabled() {
    RootCredentials root = engine.enableRoot(Optional.empty());

    assertThat(root.name()).isEqualTo("root");
    assertThat(root.password()).hasSizeGreaterThanOrEqualTo(16);
    assertThat(engine.isRootEnabled()).isTrue();
    try (Jedis jedis = connect("root", root.password())) {
      assertThat(jedis.aclWhoAmI()).isEqualTo("root");
    }

    engine.disableRoot();

    assertThat(engine.isRootEnabled()).isFalse();
    assertThatThrownBy(() -> connect("root", root.password()).ping())
        .isInstanceOf(JedisAccessControlException.class);
  }

  @Test
  void databasesAccessAndHostsAreUnsupported() {
    assertUnsupported("database", () -> engine.createDatabase(DatabaseSpec.named("db1")));
    assertUnsupported("database", () -> engine.deleteDatabase("db1"));
    assertUnsupported("database", () -> engine.listDatabases());
    AccessChange change = new AccessChange(new UserRef("someone", "%"), List.of("db1"));
    assertUnsupported("user_access", () -> engine.grantAccess(change));
    assertUnsupported("user_access", () -> engine.revokeAccess(change));
    assertUnsupported(
        "user_access", () -> engine.createUser(new UserSpec("u-db", "%", "pw", List.of("db1"))));
    assertUnsupported(
        "user_host", () -> engine.createUser(new UserSpec("u-host", "10.0.0.%", "pw", List.of())));
  }

  @Test
  void noPlaintextPasswordIsWrittenToDisk() throws Exception {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "plain-text-never", List.of()));
    Path aclFile = fixture.context().dataDir().resolve("users.acl");

    String acl = Files.readString(aclFile);
    assertThat(acl).contains("user " + name + " on #").doesNotContain("plain-text-never");
    assertThat(acl).doesNotContain(adminPassword()).contains("user default off");
    assertThat(Files.readString(fixture.context().instanceDir().resolve("redis.conf")))
        .doesNotContain(adminPassword());
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(fixture.context().dataDir())))
        .isEqualTo("rwx------");
  }

  @Test
  void initialisingAgainKeepsUsers() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "still-here", List.of()));

    engine.initialize();

    assertThat(engine.findUser(new UserRef(name, "%"))).isPresent();
  }

  @Test
  void keysAndUsersSurviveAStopAndStart() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "durable-pass", List.of()));
    try (Jedis jedis = connect(name, "durable-pass")) {
      jedis.set("durable:" + name, "kept");
    }
    long pidBefore = engine.pid().orElseThrow();

    engine.stop();

    assertThat(OsProcesses.isAlive(pidBefore)).isFalse();
    assertThat(engine.pid()).isEmpty();
    assertThat(engine.isHealthy()).isFalse();
    engine.stop(); // stopping a stopped engine does nothing

    engine.start();

    assertThat(engine.isHealthy()).isTrue();
    assertThat(engine.pid()).isPresent().get().isNotEqualTo(pidBefore);
    try (Jedis jedis = connect(name, "durable-pass")) {
      assertThat(jedis.get("durable:" + name)).isEqualTo("kept");
    }
  }

  @Test
  void aNewEngineAdoptsTheRunningServerThroughItsPidFile() {
    long pid = engine.pid().orElseThrow();

    Engine adopter = FACTORY.create(fixture.context());
    adopter.start();

    assertThat(adopter.pid()).contains(pid);
    assertThat(adopter.isHealthy()).isTrue();
    assertThat(engine.pid()).contains(pid);
  }

  @Test
  void theServerRunsAsTheUnprivilegedUser() {
    if (!OsProcesses.isRoot()) {
      return;
    }
    long pid = engine.pid().orElseThrow();
    assertThat(ProcessHandle.of(pid).orElseThrow().info().user())
        .contains(EngineFixture.ENGINE_USER);
  }

  @Test
  void reportsItsConnectionsAndAnOperationsCounterThatGrows() {
    String name = newName();
    engine.createUser(new UserSpec(name, null, "meter-Pw-1", List.of()));
    EngineMetrics before = engine.metrics().orElseThrow();
    try (Jedis jedis = connect(name, "meter-Pw-1")) {
      for (int i = 0; i < 20; i++) {
        jedis.ping();
      }
      EngineMetrics during = engine.metrics().orElseThrow();
      assertThat(during.connections()).as("ours and the agent's own").isGreaterThanOrEqualTo(2);
      assertThat(during.operationsTotal()).isGreaterThanOrEqualTo(before.operationsTotal() + 20);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static String newName() {
    return "user" + NAMES.incrementAndGet();
  }

  private static Jedis connect(String user, String password) {
    return new Jedis(fixture.address(), fixture.port(), clientConfig(user, password));
  }

  private static DefaultJedisClientConfig clientConfig(String user, String password) {
    return DefaultJedisClientConfig.builder()
        .user(user)
        .password(password)
        .timeoutMillis(5000)
        .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
        .build();
  }

  private static String adminPassword() {
    try {
      return Files.readString(fixture.context().agentDir().resolve("admin.secret")).strip();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void assertKind(ErrorKind kind, Executable call) {
    assertThatThrownBy(call::execute)
        .isInstanceOf(EngineException.class)
        .extracting(e -> ((EngineException) e).kind())
        .isEqualTo(kind);
  }

  private static void assertUnsupported(String operation, Executable call) {
    assertThatThrownBy(call::execute)
        .isInstanceOf(EngineException.class)
        .hasMessage("The '" + operation + "' operation is not supported for the 'redis' datastore.")
        .extracting(e -> ((EngineException) e).kind())
        .isEqualTo(ErrorKind.UNSUPPORTED);
  }
}

package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoCredential;
import com.mongodb.MongoSecurityException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.connection.ClusterConnectionMode;
import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MongoDB engine against a real mongod, run as the unprivileged user when root. Runs only where
 * a mongod is registered (see {@link MongoDbEngineFactory}); elsewhere every test is skipped with
 * the reason, since no mongod is packaged for Debian 12.
 */
class MongoDbEngineTest {
  static final String NOT_FOUND =
      "mongod not found: set COFFER_MONGOD to run the MongoDB integration tests";

  private static final MongoDbEngineFactory FACTORY = new MongoDbEngineFactory();
  private static final AtomicInteger NAMES = new AtomicInteger();

  private static EngineFixture fixture;
  private static Engine engine;

  @BeforeAll
  static void startMongod() throws Exception {
    if (FACTORY.discover().isEmpty()) {
      // Each test is then reported as skipped with this reason (see skipWithoutMongod).
      System.err.println("MongoDbEngineTest: " + NOT_FOUND);
      return;
    }
    fixture = EngineFixture.create(FACTORY, 256);
    engine = fixture.engine();
    engine.initialize();
    engine.start();
  }

  @BeforeEach
  void skipWithoutMongod() {
    Assumptions.assumeTrue(fixture != null, NOT_FOUND);
  }

  @AfterAll
  static void removeMongod() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void aUserCanWriteAndReadTheDatabasesItWasGranted() {
    String db = newDatabase();
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of(db)));

    try (MongoClient client = connect(fixture, name, "user-pass")) {
      client.getDatabase(db).getCollection("orders").insertOne(new Document("n", 1));
      assertThat(client.getDatabase(db).getCollection("orders").countDocuments()).isEqualTo(1);
    }
  }

  @Test
  void aUserCannotReadADatabaseItWasNotGranted() {
    String granted = newDatabase();
    String other = newDatabase();
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of(granted)));

    try (MongoClient client = connect(fixture, name, "user-pass")) {
      assertThatThrownBy(
              () -> client.getDatabase(other).getCollection("coffer_marker").countDocuments())
          .isInstanceOfSatisfying(
              MongoCommandException.class, e -> assertThat(e.getErrorCode()).isEqualTo(13));
    }
  }

  @Test
  void aWrongPasswordAndAnUnknownUserAreRefused() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "right-pass", List.of()));

    try (MongoClient client = connect(fixture, name, "wrong-pass")) {
      assertThatThrownBy(() -> client.getDatabase("admin").runCommand(new Document("ping", 1)))
          .isInstanceOf(MongoSecurityException.class);
    }
    try (MongoClient client = connect(fixture, "nobody", "whatever")) {
      assertThatThrownBy(() -> client.getDatabase("admin").runCommand(new Document("ping", 1)))
          .isInstanceOf(MongoSecurityException.class);
    }
  }

  @Test
  void grantingAndRevokingChangeWhatAUserMayRead() {
    String db = newDatabase();
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of()));
    UserRef user = new UserRef(name, "%");

    engine.grantAccess(new AccessChange(user, List.of(db)));
    assertThat(engine.findUser(user)).contains(new UserInfo(name, "%", List.of(db)));
    try (MongoClient client = connect(fixture, name, "user-pass")) {
      assertThat(client.getDatabase(db).getCollection("coffer_marker").countDocuments()).isZero();
    }

    engine.revokeAccess(new AccessChange(user, List.of(db)));
    assertThat(engine.findUser(user)).contains(new UserInfo(name, "%", List.of()));
    try (MongoClient client = connect(fixture, name, "user-pass")) {
      assertThatThrownBy(
              () -> client.getDatabase(db).getCollection("coffer_marker").countDocuments())
          .isInstanceOf(MongoCommandException.class);
    }
  }

  @Test
  void grantingAMissingDatabaseOrToAMissingUserIsNotFound() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of()));

    assertKind(
        () -> engine.grantAccess(new AccessChange(new UserRef(name, "%"), List.of("nosuchdb"))),
        ErrorKind.NOT_FOUND);
    assertKind(
        () ->
            engine.grantAccess(
                new AccessChange(new UserRef("nosuchuser", "%"), List.of(newDatabase()))),
        ErrorKind.NOT_FOUND);
  }

  @Test
  void createdDatabasesAreListedWithoutTheSystemOnesAndDeletedOnesDisappear() {
    String db = newDatabase();
    engine.createDatabase(DatabaseSpec.named(db)); // again: idempotent

    assertThat(engine.listDatabases()).contains(DatabaseSpec.named(db));
    assertThat(engine.listDatabases())
        .extracting(DatabaseSpec::name)
        .doesNotContain("admin", "local", "config");

    engine.deleteDatabase(db);
    assertThat(engine.listDatabases()).doesNotContain(DatabaseSpec.named(db));
    assertKind(() -> engine.deleteDatabase(db), ErrorKind.NOT_FOUND);
  }

  @Test
  void usersAreListedWithTheirDatabasesButNeverTheAgentsAccount() {
    String db = newDatabase();
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of(db)));

    assertThat(engine.listUsers()).contains(new UserInfo(name, "%", List.of(db)));
    assertThat(engine.listUsers()).extracting(UserInfo::name).doesNotContain("os_admin", "root");
    assertThat(engine.findUser(new UserRef("os_admin", "%"))).isEmpty();
    assertThat(engine.findUser(new UserRef("nosuchuser", "%"))).isEmpty();
  }

  @Test
  void aSecondUserOfTheSameNameIsAConflictAndDeletingTwiceIsNotFound() {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of()));

    assertKind(
        () -> engine.createUser(new UserSpec(name, "%", "other", List.of())), ErrorKind.CONFLICT);
    engine.deleteUser(new UserRef(name, "%"));
    assertKind(() -> engine.deleteUser(new UserRef(name, "%")), ErrorKind.NOT_FOUND);
  }

  @Test
  void aNewPasswordReplacesTheOldOneAndARenameKeepsTheDatabases() {
    String db = newDatabase();
    String name = newName();
    String renamed = newName();
    engine.createUser(new UserSpec(name, "%", "old-pass", List.of(db)));

    engine.updateUser(new UserUpdate(new UserRef(name, "%"), null, null, "new-pass"));
    try (MongoClient client = connect(fixture, name, "new-pass")) {
      assertThat(client.getDatabase(db).getCollection("coffer_marker").countDocuments()).isZero();
    }

    engine.updateUser(new UserUpdate(new UserRef(name, "%"), renamed, null, "third-pass"));
    assertThat(engine.findUser(new UserRef(name, "%"))).isEmpty();
    assertThat(engine.findUser(new UserRef(renamed, "%")))
        .contains(new UserInfo(renamed, "%", List.of(db)));
    try (MongoClient client = connect(fixture, renamed, "third-pass")) {
      assertThat(client.getDatabase(db).getCollection("coffer_marker").countDocuments()).isZero();
    }
  }

  @Test
  void rootCanRunAdminCommandsUntilItIsDisabled() {
    RootCredentials root = engine.enableRoot(Optional.empty());
    assertThat(engine.isRootEnabled()).isTrue();
    try (MongoClient client = connect(fixture, root.name(), root.password())) {
      assertThat(client.getDatabase("admin").runCommand(new Document("usersInfo", 1)))
          .containsKey("users");
    }
    RootCredentials again = engine.enableRoot(Optional.of("chosen-root-pass"));
    assertThat(again.password()).isEqualTo("chosen-root-pass");

    engine.disableRoot();
    assertThat(engine.isRootEnabled()).isFalse();
    try (MongoClient client = connect(fixture, root.name(), "chosen-root-pass")) {
      assertThatThrownBy(() -> client.getDatabase("admin").runCommand(new Document("ping", 1)))
          .isInstanceOf(MongoSecurityException.class);
    }
  }

  @Test
  void aRestartedEngineIsAdoptedOrRestartedWithItsUsers() throws Exception {
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of()));
    long pid = engine.pid().orElseThrow();

    Engine adopter = FACTORY.create(fixture.context());
    adopter.start(); // adopts the running mongod
    assertThat(adopter.pid()).contains(pid);

    engine.stop();
    assertThat(engine.pid()).isEmpty();
    assertThat(engine.isHealthy()).isFalse();
    engine.start();
    assertThat(engine.isHealthy()).isTrue();
    assertThat(engine.findUser(new UserRef(name, "%"))).isPresent();
  }

  @Test
  void aBackupRestoredIntoANewInstanceHasTheDataAndUsersAndItsOwnAdmin() throws Exception {
    String db = newDatabase();
    String name = newName();
    engine.createUser(new UserSpec(name, "%", "user-pass", List.of(db)));
    try (MongoClient client = connect(fixture, name, "user-pass")) {
      client.getDatabase(db).getCollection("orders").insertOne(new Document("n", 42));
    }
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    BackupManifest manifest = ((BackupEngine) engine).backup(Optional.empty(), archive);
    assertThat(manifest.format()).isEqualTo("mongodump-archive");

    try (EngineFixture target = EngineFixture.create(FACTORY, 256)) {
      Engine restored = target.engine();
      restored.initialize();
      ((BackupEngine) restored).restore(List.of(source(manifest, archive.toByteArray())));
      assertThat(restored.pid()).isEmpty();
      restored.start();

      assertThat(restored.isHealthy()).isTrue(); // its own os_admin password still works
      assertThat(restored.listDatabases()).contains(DatabaseSpec.named(db));
      assertThat(restored.findUser(new UserRef(name, "%")))
          .contains(new UserInfo(name, "%", List.of(db)));
      try (MongoClient client = connect(target, name, "user-pass")) {
        assertThat(client.getDatabase(db).getCollection("orders").find().first())
            .containsEntry("n", 42);
      }
      DataCheck check = ((BackupEngine) restored).checkData();
      assertThat(check.consistent()).isTrue();
      assertThat(check.count()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void noPasswordReachesALogOrACommandLine() throws Exception {
    String password = "never-logged-" + NAMES.incrementAndGet();
    engine.createUser(new UserSpec(newName(), "%", password, List.of()));
    ((BackupEngine) engine).backup(Optional.empty(), new ByteArrayOutputStream());
    String admin = Files.readString(fixture.context().agentDir().resolve("admin.secret")).strip();

    try (Stream<Path> logs = Files.list(fixture.context().logDir())) {
      for (Path log : logs.toList()) {
        assertThat(Files.readString(log)).doesNotContain(password).doesNotContain(admin);
      }
    }
    assertThat(Files.readString(fixture.context().runDir().resolve("mongod.conf")))
        .doesNotContain(admin);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static String newName() {
    return "u" + NAMES.incrementAndGet();
  }

  private static String newDatabase() {
    String name = "db" + NAMES.incrementAndGet();
    engine.createDatabase(DatabaseSpec.named(name));
    return name;
  }

  private static MongoClient connect(EngineFixture on, String user, String password) {
    return MongoClients.create(
        MongoClientSettings.builder()
            .applyToClusterSettings(
                b ->
                    b.hosts(List.of(new ServerAddress(on.address(), on.port())))
                        .mode(ClusterConnectionMode.SINGLE)
                        .serverSelectionTimeout(5, TimeUnit.SECONDS))
            .credential(MongoCredential.createCredential(user, "admin", password.toCharArray()))
            .build());
  }

  private static BackupEngine.BackupSource source(BackupManifest manifest, byte[] bytes) {
    return new BackupEngine.BackupSource() {
      @Override
      public BackupManifest manifest() {
        return manifest;
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(bytes);
      }
    };
  }

  private static void assertKind(org.junit.jupiter.api.function.Executable call, ErrorKind kind) {
    assertThatThrownBy(call::execute)
        .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }
}

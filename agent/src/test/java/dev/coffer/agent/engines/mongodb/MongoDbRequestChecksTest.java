package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests the agent refuses before it sends anything to mongod: no server runs here (nothing
 * listens on the context's address), so reaching the server would fail differently.
 */
class MongoDbRequestChecksTest {
  @TempDir Path dir;

  private Engine engine;

  @BeforeEach
  void engineWithoutAServer() {
    engine =
        new MongoDbEngineFactory(Map.of())
            .create(
                EngineContext.of("i1", "127.88.250.250", 1, dir, 256, Optional.empty(), Map.of()));
  }

  @Test
  void reservedAndMalformedUserNamesAreBadRequests() {
    assertKind(
        () -> engine.createUser(new UserSpec("os_admin", "%", "pw", List.of())),
        ErrorKind.BAD_REQUEST);
    assertKind(() -> engine.deleteUser(new UserRef("root", "%")), ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createUser(new UserSpec("a'b", "%", "pw", List.of())), ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createUser(new UserSpec("app", "%", "", List.of())), ErrorKind.BAD_REQUEST);
  }

  @Test
  void reservedAndMalformedDatabaseNamesAreBadRequests() {
    assertKind(() -> engine.createDatabase(DatabaseSpec.named("admin")), ErrorKind.BAD_REQUEST);
    assertKind(() -> engine.createDatabase(DatabaseSpec.named("a.b")), ErrorKind.BAD_REQUEST);
    assertKind(() -> engine.deleteDatabase("local"), ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.createUser(new UserSpec("app", "%", "pw", List.of("config"))),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> engine.grantAccess(new AccessChange(new UserRef("app", "%"), List.of("a/b"))),
        ErrorKind.BAD_REQUEST);
  }

  @Test
  void aCharacterSetIsRefusedBecauseMongoDbDatabasesHaveNone() {
    assertKind(
        () -> engine.createDatabase(new DatabaseSpec("shop", "utf8", null)), ErrorKind.BAD_REQUEST);
  }

  @Test
  void aHostOtherThanAnyHostIsUnsupported() {
    assertKind(
        () -> engine.createUser(new UserSpec("app", "10.0.0.%", "pw", List.of())),
        ErrorKind.UNSUPPORTED);
    assertKind(
        () -> engine.updateUser(new UserUpdate(new UserRef("app", "%"), null, "10.%", null)),
        ErrorKind.UNSUPPORTED);
  }

  @Test
  void aRenameWithoutANewPasswordIsABadRequest() {
    assertKind(
        () -> engine.updateUser(new UserUpdate(new UserRef("app", "%"), "app2", null, null)),
        ErrorKind.BAD_REQUEST);
  }

  @Test
  void incrementalBackupsAndForeignFormatsAreRefused() {
    BackupEngine backups = (BackupEngine) engine;
    BackupManifest parent = new BackupManifest(MongoDbEngine.BACKUP_FORMAT, Map.of());

    assertKind(
        () -> backups.backup(Optional.of(parent), new ByteArrayOutputStream()),
        ErrorKind.UNSUPPORTED);
    assertKind(
        () -> backups.restore(List.of(source(new BackupManifest("rdb+acl", Map.of())))),
        ErrorKind.BAD_REQUEST);
    assertKind(
        () -> backups.restore(List.of(source(parent), source(parent))), ErrorKind.UNSUPPORTED);
  }

  private static BackupEngine.BackupSource source(BackupManifest manifest) {
    return new BackupEngine.BackupSource() {
      @Override
      public BackupManifest manifest() {
        return manifest;
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(new byte[0]);
      }
    };
  }

  private static void assertKind(Executable call, ErrorKind kind) {
    assertThatThrownBy(call::execute)
        .isInstanceOfSatisfying(
            EngineException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.kind()).isEqualTo(kind));
  }
}

package dev.coffer.agent.engines.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.servererrors.UnauthorizedException;
import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One real Cassandra node (started once: a start takes seconds), driven through the Engine SPI and
 * checked with the Java driver as the users it creates.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CassandraEngineTest {
  private static final String SUBNET = "127.97." + CassandraNode.randomSubnet() + ".";
  private static CassandraNode node;

  @BeforeAll
  static void startANode() throws Exception {
    node = CassandraNode.create(SUBNET + "1");
    node.engine().initialize();
    node.engine().start();
  }

  @AfterAll
  static void removeTheNode() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  private static Engine engine() {
    return node.engine();
  }

  @Test
  @Order(1)
  void aUserReadsAndWritesItsKeyspaceButCannotReadAKeyspaceItWasNotGranted() {
    engine().createDatabase(DatabaseSpec.named("shop"));
    engine().createDatabase(DatabaseSpec.named("payroll"));
    engine().createUser(new UserSpec("clerk", "%", "clerk-pass", List.of("shop")));

    try (CqlSession clerk = node.connect("clerk", "clerk-pass")) {
      clerk.execute("CREATE TABLE shop.items (id int PRIMARY KEY, name text)");
      clerk.execute("INSERT INTO shop.items (id, name) VALUES (1, 'tea')");
      assertThat(clerk.execute("SELECT name FROM shop.items WHERE id = 1").one().getString(0))
          .isEqualTo("tea");
      assertThatThrownBy(() -> clerk.execute("SELECT * FROM payroll.salaries"))
          .isInstanceOfAny(
              UnauthorizedException.class,
              com.datastax.oss.driver.api.core.servererrors.InvalidQueryException.class);
      assertThatThrownBy(
              () -> clerk.execute("CREATE TABLE payroll.salaries (id int PRIMARY KEY, amount int)"))
          .isInstanceOf(UnauthorizedException.class);
    }

    assertThat(engine().listDatabases())
        .extracting(DatabaseSpec::name)
        .containsExactly("payroll", "shop");
    assertThat(engine().listUsers()).containsExactly(new UserInfo("clerk", "%", List.of("shop")));
    assertThatThrownBy(() -> engine().createDatabase(DatabaseSpec.named("shop")))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT));
    assertThatThrownBy(() -> engine().createUser(new UserSpec("os_admin", "%", "x", List.of())))
        .isInstanceOfSatisfying(
            EngineException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.BAD_REQUEST));
  }

  @Test
  @Order(2)
  void grantingAndRevokingAKeyspaceChangesWhatAUserMayRead() {
    engine().createUser(new UserSpec("auditor", "%", "auditor-pass", List.of()));
    engine().grantAccess(new AccessChange(new UserRef("auditor", "%"), List.of("shop")));
    try (CqlSession auditor = node.connect("auditor", "auditor-pass")) {
      assertThat(auditor.execute("SELECT count(*) FROM shop.items").one().getLong(0)).isEqualTo(1);
    }
    engine().revokeAccess(new AccessChange(new UserRef("auditor", "%"), List.of("shop")));
    assertThat(engine().findUser(new UserRef("auditor", "%")))
        .contains(new UserInfo("auditor", "%", List.of()));

    engine()
        .updateUser(
            new dev.coffer.api.agent.UserUpdate(
                new UserRef("auditor", "%"), "inspector", null, null));
    try (CqlSession inspector = node.connect("inspector", "auditor-pass")) {
      assertThat(inspector.execute("SELECT release_version FROM system.local").one()).isNotNull();
    }
    engine().deleteUser(new UserRef("inspector", "%"));
    assertThat(engine().findUser(new UserRef("inspector", "%"))).isEmpty();
  }

  @Test
  @Order(3)
  void rootIsASuperuserThatCanBeDisabled() {
    assertThat(engine().isRootEnabled()).isFalse();
    RootCredentials root = engine().enableRoot(Optional.empty());
    try (CqlSession session = node.connect(root.name(), root.password())) {
      assertThat(session.execute("SELECT count(*) FROM shop.items").one().getLong(0)).isEqualTo(1);
    }
    assertThat(engine().isRootEnabled()).isTrue();
    engine().disableRoot();
    assertThat(engine().isRootEnabled()).isFalse();
  }

  @Test
  @Order(4)
  void theDefaultSuperuserIsGone() {
    assertThatThrownBy(() -> node.connect("cassandra", "cassandra").close())
        .isInstanceOf(com.datastax.oss.driver.api.core.AllNodesFailedException.class);
  }

  @Test
  @Order(5)
  void aBackupChainRestoresEveryRowAndTheUsersIntoAFreshNode() throws Exception {
    try (CqlSession clerk = node.connect("clerk", "clerk-pass")) {
      for (int i = 2; i <= 500; i++) {
        clerk.execute("INSERT INTO shop.items (id, name) VALUES (" + i + ", 'item " + i + "')");
      }
    }
    BackupEngine backups = (BackupEngine) engine();
    ByteArrayOutputStream full = new ByteArrayOutputStream();
    BackupManifest fullManifest = backups.backup(Optional.empty(), full);
    try (CqlSession clerk = node.connect("clerk", "clerk-pass")) {
      for (int i = 501; i <= 600; i++) {
        clerk.execute("INSERT INTO shop.items (id, name) VALUES (" + i + ", 'late " + i + "')");
      }
      clerk.execute("UPDATE shop.items SET name = 'green tea' WHERE id = 1");
    }
    ByteArrayOutputStream incremental = new ByteArrayOutputStream();
    BackupManifest incrementalManifest = backups.backup(Optional.of(fullManifest), incremental);
    assertThat(incrementalManifest.position()).containsKey("mark");

    try (CassandraNode target = CassandraNode.create(SUBNET + "2")) {
      target.engine().initialize();
      ((BackupEngine) target.engine())
          .restore(
              List.of(
                  source(fullManifest, full.toByteArray()),
                  source(incrementalManifest, incremental.toByteArray())));
      target.engine().start();

      assertThat(target.engine().listDatabases()).extracting(DatabaseSpec::name).contains("shop");
      try (CqlSession clerk = target.connect("clerk", "clerk-pass")) {
        assertThat(clerk.execute("SELECT count(*) FROM shop.items").one().getLong(0))
            .isEqualTo(600);
        assertThat(clerk.execute("SELECT name FROM shop.items WHERE id = 1").one().getString(0))
            .isEqualTo("green tea");
      }
      assertThat(((BackupEngine) target.engine()).checkData().count()).isEqualTo(600);
    }
  }

  @Test
  @Order(6)
  void aConfigurationGroupAppliesLiveWhereItCanAndTheRestAfterARestart() {
    ConfigurableEngine config = (ConfigurableEngine) engine();
    Set<String> restart =
        config.applyConfiguration(
            Map.of("compaction_throughput", "32", "read_request_timeout", "7000"));
    assertThat(restart).containsExactly("read_request_timeout");
    assertThat(config.currentConfiguration(Set.of("compaction_throughput")))
        .containsEntry("compaction_throughput", "32");

    engine().stop();
    assertThat(engine().pid()).isEmpty();
    engine().start();
    assertThat(config.currentConfiguration(Set.of("read_request_timeout", "compaction_throughput")))
        .containsEntry("read_request_timeout", "7000")
        .containsEntry("compaction_throughput", "32");
  }

  @Test
  @Order(7)
  void aNewAgentAdoptsTheRunningNodeAndTheSystemLogIsATail() throws Exception {
    long pid = engine().pid().orElseThrow();
    Engine adopted = node.freshEngine();
    adopted.start();
    assertThat(adopted.pid()).contains(pid);
    assertThat(adopted.isHealthy()).isTrue();

    var logs = ((GuestLogEngine) adopted).guestLogs();
    assertThat(logs).hasSize(1);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Files.readString(logs.get(0).file()))
                    .contains("Starting listening for CQL clients"));
  }

  private static BackupSource source(BackupManifest manifest, byte[] bytes) {
    return new BackupSource() {
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
}

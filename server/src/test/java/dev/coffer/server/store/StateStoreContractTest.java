package dev.coffer.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engines.postgresql.PostgresEngineFactory;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.EngineStatus;
import dev.coffer.server.agents.JdbiCommandRepository;
import dev.coffer.server.agents.StoredCommand;
import dev.coffer.server.backups.BackupSchedule;
import dev.coffer.server.backups.BackupStrategy;
import dev.coffer.server.backups.JdbiBackupStrategyRepository;
import dev.coffer.server.backups.JdbiScheduleRepository;
import dev.coffer.server.backups.RetentionPolicy;
import dev.coffer.server.datastores.Datastore;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.datastores.JdbiDatastoreRepository;
import dev.coffer.server.datastores.VersionState;
import dev.coffer.server.identity.JdbiIdentityRepository;
import dev.coffer.server.identity.Project;
import dev.coffer.server.identity.Role;
import dev.coffer.server.identity.Token;
import dev.coffer.server.identity.UserAccount;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.JdbiInstanceRepository;
import dev.coffer.server.instances.ServiceStatus;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.tasks.JdbiTaskRepository;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same migrations and repositories on both state stores: the embedded H2 file and a real
 * PostgreSQL (started here with Coffer's own PostgreSQL engine code).
 */
class StateStoreContractTest {
  static Path dir;
  static Engine postgres;
  static String postgresUrl;
  static String adminPassword;

  @BeforeAll
  static void startPostgres() throws Exception {
    Path base = Path.of("/tmp/coffer-it");
    Files.createDirectories(base);
    dir = Files.createTempDirectory(base, "state");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    PostgresEngineFactory factory = new PostgresEngineFactory();
    var version = factory.discover().get(0);
    Optional<String> user = OsProcesses.isRoot() ? Optional.of("coffer") : Optional.empty();
    user.ifPresent(OsProcesses::ensureSystemUser);
    EngineContext context =
        EngineContext.of(
            "state-store", "127.81.0.2", 5432, dir.resolve("pg"), 256, user, version.binaries());
    Files.createDirectories(context.instanceDir());
    Files.setPosixFilePermissions(
        context.instanceDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
    postgres = factory.create(context);
    postgres.initialize();
    postgres.start();
    adminPassword = Files.readString(context.agentDir().resolve("admin.secret")).strip();
    try (var c =
        DriverManager.getConnection(
            "jdbc:postgresql://127.81.0.2:5432/postgres", "os_admin", adminPassword)) {
      c.createStatement().execute("create database coffer_state");
    }
    postgresUrl = "jdbc:postgresql://127.81.0.2:5432/coffer_state";
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.stop();
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static StateStore open(String kind) throws Exception {
    return kind.equals("h2")
        ? StateStore.embedded(Files.createTempDirectory(dir, "h2"))
        : StateStore.open(postgresUrl, "os_admin", adminPassword);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  void repositoriesBehaveTheSameOnEveryStateStore(String kind) throws Exception {
    try (StateStore store = open(kind)) {
      var identity = new JdbiIdentityRepository(store.jdbi());
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      Project project =
          new Project(UUID.randomUUID().toString().replace("-", ""), "p-" + suffix, Instant.now());
      identity.insertProject(project);
      UserAccount account =
          new UserAccount(UUID.randomUUID().toString().replace("-", ""), "u-" + suffix, "hash");
      identity.insertUserAccount(account);
      identity.insertMembership(account.id(), project.id(), Role.MEMBER);
      Instant now = Instant.now();
      Token token =
          new Token(
              UUID.randomUUID().toString(),
              account.id(),
              project.id(),
              "t",
              now,
              now.plus(1, ChronoUnit.DAYS),
              null);
      identity.insertToken(token, "h-" + suffix);
      assertThat(identity.findLiveToken("h-" + suffix)).isPresent();
      assertThat(identity.revokeToken(account.id(), token.id())).isTrue();
      assertThat(identity.findLiveToken("h-" + suffix)).isEmpty();
      assertThat(identity.memberships(account.id()))
          .extracting(m -> m.role())
          .containsExactly(Role.MEMBER);

      var datastores = new JdbiDatastoreRepository(store.jdbi());
      Datastore ds =
          datastores.datastore("redis").orElseGet(() -> datastores.insertDatastore("redis"));
      DatastoreVersion v =
          datastores.upsertVersion(
              ds, "7.0", "7.0.15", Map.of("server", "/usr/bin/redis-server"), true);
      DatastoreVersion again =
          datastores.upsertVersion(
              ds, "7.0", "7.0.16", Map.of("server", "/usr/bin/redis-server"), true);
      assertThat(again.id()).isEqualTo(v.id());
      assertThat(again.fullVersion()).isEqualTo("7.0.16");
      datastores.setState(v.id(), VersionState.DEPRECATED);
      assertThat(datastores.version(v.id()).orElseThrow().state())
          .isEqualTo(VersionState.DEPRECATED);

      var instances = new JdbiInstanceRepository(store.jdbi(), "127.82");
      List<Instance> created =
          Stream.of("a", "b", "c")
              .map(n -> instances.insert(instance(project.id(), n, v.id(), now)))
              .toList();
      assertThat(created)
          .extracting(Instance::address)
          .doesNotHaveDuplicates()
          .allMatch(a -> a.startsWith("127.82."));
      assertThat(instances.list(project.id(), 2, Optional.empty()))
          .extracting(Instance::name)
          .containsExactly("a", "b");
      assertThat(instances.list(project.id(), 2, Optional.of(created.get(1).id())))
          .extracting(Instance::name)
          .containsExactly("c");
      instances.recordHeartbeat(created.get(0).id(), EngineStatus.RUNNING, 1234, Instant.now());
      assertThat(instances.find(created.get(0).id()).orElseThrow().service())
          .isEqualTo(ServiceStatus.RUNNING);
      assertThat(instances.liveVolumeGb(project.id())).isEqualTo(3);
      instances.markDeleted(created.get(2).id());
      assertThat(instances.find(created.get(2).id())).isEmpty();
      Instance reused = instances.insert(instance(project.id(), "d", v.id(), now));
      assertThat(reused.address()).isEqualTo(created.get(2).address());

      var tasks = new JdbiTaskRepository(store.jdbi());
      String instanceId = created.get(0).id();
      tasks.insert(
          Task.create(UUID.randomUUID().toString(), TaskType.RESTART_INSTANCE, instanceId, null));
      tasks.insert(
          Task.create(UUID.randomUUID().toString(), TaskType.DELETE_INSTANCE, instanceId, null));
      Task first = tasks.claimNext(Instant.now().plusSeconds(1)).orElseThrow();
      assertThat(first.attempts()).isEqualTo(1);
      assertThat(tasks.claimNext(Instant.now().plusSeconds(1)))
          .as("one task per instance at a time")
          .isEmpty();
      assertThat(tasks.requeueRunning()).isEqualTo(1);
      tasks.complete(tasks.claimNext(Instant.now().plusSeconds(1)).orElseThrow().id());
      assertThat(tasks.unfinished(instanceId)).hasSize(1);

      var commands = new JdbiCommandRepository(store.jdbi());
      StoredCommand command =
          new StoredCommand(
              "c-" + suffix, instanceId, CommandType.LIST_USERS, "{}", "PENDING", null, null, null);
      commands.insertIfAbsent(command);
      commands.insertIfAbsent(command);
      assertThat(commands.deliverNext(instanceId)).map(StoredCommand::id).hasValue("c-" + suffix);
      assertThat(commands.deliverNext(instanceId)).isEmpty();
      assertThat(commands.requeueDelivered(instanceId)).isEqualTo(1);
      commands.deliverNext(instanceId);
      assertThat(commands.complete(instanceId, "c-" + suffix, CommandResult.success(null), null))
          .isTrue();
      assertThat(commands.find("c-" + suffix).orElseThrow().done()).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  void backupStrategiesAndScheduledDrillsBehaveTheSameOnEveryStateStore(String kind)
      throws Exception {
    try (StateStore store = open(kind)) {
      var identity = new JdbiIdentityRepository(store.jdbi());
      String project = UUID.randomUUID().toString().replace("-", "");
      identity.insertProject(new Project(project, "s-" + project, Instant.now()));
      String instance = UUID.randomUUID().toString();

      var strategies = new JdbiBackupStrategyRepository(store.jdbi());
      assertThat(strategies.containerFor(project, instance)).isEmpty();
      strategies.upsert(new BackupStrategy(project, BackupStrategy.PROJECT_WIDE, "proj"));
      assertThat(strategies.containerFor(project, instance)).hasValue("proj");
      strategies.upsert(new BackupStrategy(project, instance, "mine"));
      assertThat(strategies.containerFor(project, instance))
          .as("the instance's strategy beats the project's")
          .hasValue("mine");
      assertThat(strategies.containerFor(project, UUID.randomUUID().toString())).hasValue("proj");
      strategies.upsert(new BackupStrategy(project, instance, "mine-2"));
      assertThat(strategies.list(project, Optional.empty()))
          .containsExactly(
              new BackupStrategy(project, "", "proj"),
              new BackupStrategy(project, instance, "mine-2"));
      assertThat(strategies.list(project, Optional.of(instance))).hasSize(1);
      assertThat(strategies.list("other", Optional.empty())).isEmpty();
      assertThat(strategies.delete(project, instance)).isTrue();
      assertThat(strategies.delete(project, instance)).isFalse();
      assertThat(strategies.containerFor(project, instance)).hasValue("proj");
      assertThat(strategies.delete(project, BackupStrategy.PROJECT_WIDE)).isTrue();
      assertThat(strategies.containerFor(project, instance)).isEmpty();

      var schedules = new JdbiScheduleRepository(store.jdbi());
      Instant next = Instant.now().plusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
      BackupSchedule schedule =
          new BackupSchedule(
              instance, project, "0 3 * * *", false, true, new RetentionPolicy(3, 1, 1, 1), next);
      schedules.upsert(schedule);
      assertThat(schedules.find(instance)).hasValue(schedule);
      schedules.requestDrill("b-1", instance);
      schedules.requestDrill("b-2", instance);
      assertThat(schedules.pendingDrills()).containsSubsequence("b-1", "b-2");
      schedules.forgetDrill("b-1");
      assertThat(schedules.pendingDrills()).doesNotContain("b-1").contains("b-2");
      schedules.forgetDrill("b-2");
    }
  }

  static Instance instance(String project, String name, String versionId, Instant now) {
    Instant created = now.plusMillis(name.charAt(0));
    return new Instance(
        UUID.randomUUID().toString(),
        project,
        name,
        versionId,
        "1",
        1,
        null,
        null,
        null,
        false,
        List.of(),
        TaskStatus.NONE,
        ServiceStatus.NEW,
        created,
        null,
        null,
        null,
        null,
        created,
        created,
        null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  void auditEventsAndTheWebhookOutboxBehaveTheSameOnEveryStateStore(String kind) throws Exception {
    try (StateStore store = open(kind)) {
      String project = UUID.randomUUID().toString().replace("-", "");
      var audit = new dev.coffer.server.audit.AuditLog(store.jdbi());
      Instant now = Instant.now();
      for (int i = 0; i < 3; i++) {
        audit.add(
            new dev.coffer.server.audit.AuditEntry(
                UUID.randomUUID().toString(),
                now,
                "req-" + i,
                "u1",
                "alice",
                project,
                "instance.create",
                "POST",
                "/v1.0/{project_id}/instances",
                "i-" + i,
                i == 2 ? 413 : 200,
                "127.0.0.1"));
      }
      var all =
          new dev.coffer.server.audit.AuditLog.Filter(
              Optional.of(project),
              Optional.of("alice"),
              Optional.of("instance.create"),
              Optional.empty(),
              Optional.empty(),
              Optional.of(now.minusSeconds(1)),
              Optional.of(now.plusSeconds(1)),
              Optional.empty(),
              2);
      var page = audit.find(all);
      assertThat(page).extracting(e -> e.targetId()).containsExactly("i-2", "i-1");
      assertThat(
              audit.find(
                  new dev.coffer.server.audit.AuditLog.Filter(
                      Optional.of(project),
                      Optional.empty(),
                      Optional.empty(),
                      Optional.empty(),
                      Optional.of(200),
                      Optional.empty(),
                      Optional.empty(),
                      Optional.of(page.get(1).id()),
                      10)))
          .extracting(e -> e.targetId())
          .containsExactly("i-0");

      var webhooks = new dev.coffer.server.events.WebhookStore(store.jdbi());
      webhooks.insert(
          new dev.coffer.server.events.Webhook(
              UUID.randomUUID().toString(),
              project,
              "http://127.0.0.1:9/hook",
              List.of("instance.fault"),
              "wrapped",
              "alice",
              now));
      var events =
          new dev.coffer.server.events.EventLog(
              store.jdbi(), dev.coffer.api.agent.Json.newMapper(), webhooks);
      for (String type : List.of("instance.status_changed", "instance.fault")) {
        events.publish(
            new dev.coffer.server.events.Event(
                project, "instance", "i-0", type, "info", "m", Map.of("to", "ACTIVE"), now));
      }
      var stored =
          events.find(
              new dev.coffer.server.events.EventLog.Filter(
                  project,
                  Optional.of("i-0"),
                  Optional.empty(),
                  Optional.empty(),
                  Optional.empty(),
                  10));
      assertThat(stored)
          .extracting(e -> e.event().type())
          .containsExactly("instance.status_changed", "instance.fault");
      assertThat(stored.get(0).event().details()).containsEntry("to", "ACTIVE");
      var due = webhooks.due(Instant.now().plusSeconds(1), 10);
      assertThat(due).extracting(d -> d.eventType()).containsExactly("instance.fault");
      webhooks.attempted(due.get(0).id(), "PENDING", 1, Instant.now().plusSeconds(60), 503, "x");
      assertThat(webhooks.due(Instant.now().plusSeconds(1), 10)).isEmpty();
      assertThat(webhooks.deliveries(due.get(0).webhookId(), 10).get(0).lastResponse())
          .isEqualTo(503);
    }
  }
}

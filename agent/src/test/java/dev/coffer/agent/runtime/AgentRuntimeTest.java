package dev.coffer.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.AgentCommand;
import dev.coffer.api.agent.AgentConfig;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineStatus;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.Heartbeat;
import dev.coffer.api.agent.Json;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.agent.RootRequest;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.datastores.InstalledVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;

/**
 * The agent runtime in-process, against a real control-plane stand-in over HTTP and a real Redis.
 */
class AgentRuntimeTest {
  private static final String SECRET = "agent-secret-" + UUID.randomUUID();
  private static final String USER_PASSWORD = "app-pass-" + UUID.randomUUID();
  private static final UserSpec APP_USER = new UserSpec("app", "%", USER_PASSWORD, List.of());
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(40);

  private final ObjectMapper mapper = Json.newMapper();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private Path dir;
  private ControlPlaneStandIn standIn;
  private AgentConfig config;
  private AgentRuntime runtime;

  @BeforeEach
  void startAgent() throws IOException {
    logs.start();
    rootLogger().addAppender(logs);
    String instanceId = "inst-" + UUID.randomUUID().toString().substring(0, 8);
    Optional<String> user =
        OsProcesses.isRoot() ? Optional.of(EngineFixture.ENGINE_USER) : Optional.empty();
    user.ifPresent(OsProcesses::ensureSystemUser);
    Path base = Path.of(System.getProperty("java.io.tmpdir"), "coffer-engine-tests");
    Files.createDirectories(base);
    dir = Files.createTempDirectory(base, "agent");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    standIn = new ControlPlaneStandIn(instanceId, SECRET);
    InstalledVersion redis = EngineCatalog.load().factory("redis").orElseThrow().discover().get(0);
    String address = EngineFixture.randomLoopbackAddress();
    config =
        new AgentConfig(
            instanceId,
            standIn.url(),
            SECRET,
            "redis",
            redis.version(),
            address,
            freePort(address),
            dir.toString(),
            256,
            1L << 30,
            user.orElse(""),
            redis.binaries());
    runtime = AgentRuntime.create(config);
    runtime.start();
  }

  @AfterEach
  void removeAgent() throws IOException {
    try {
      runtime.stop();
      try {
        runtime.engine().stop();
      } finally {
        runtime.engine().pid().ifPresent(pid -> OsProcesses.terminate(pid, Duration.ofSeconds(5)));
      }
    } finally {
      standIn.close();
      rootLogger().detachAppender(logs);
      if (Files.exists(dir)) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @Test
  void aPreparedEngineServesItsUsersAndIsReportedRunning() {
    int first = 0;
    CommandResult prepared = run(CommandType.PREPARE, new PrepareRequest(null, List.of(APP_USER)));

    assertThat(prepared.ok()).as(String.valueOf(prepared.error())).isTrue();
    int running = awaitHeartbeat(EngineStatus.RUNNING, first);
    assertThat(standIn.heartbeats().subList(0, running))
        .extracting(Heartbeat::status)
        .contains(EngineStatus.BUILDING)
        .doesNotContain(EngineStatus.FAILED);
    assertThat(standIn.heartbeats().get(running).volumeUsedBytes()).isPositive();
    assertThat(dir.resolve("agent/prepared")).exists();
    try (Jedis jedis = connect("app", USER_PASSWORD)) {
      jedis.set("k", "v");
      assertThat(jedis.get("k")).isEqualTo("v");
    }

    JsonNode users = run(CommandType.LIST_USERS, null).result();
    assertThat(users).hasSize(1);
    assertThat(users.get(0).get("name").asText()).isEqualTo("app");
    assertThat(users.get(0).get("host").asText()).isEqualTo("%");

    CommandResult missing = run(CommandType.GET_USER, new UserRef("nobody", "%"));
    assertThat(missing.ok()).isFalse();
    assertThat(missing.errorKind()).isEqualTo(ErrorKind.NOT_FOUND);

    CommandResult databases = run(CommandType.CREATE_DATABASES, List.of(DatabaseSpec.named("db1")));
    assertThat(databases.errorKind()).isEqualTo(ErrorKind.UNSUPPORTED);
    assertThat(databases.error())
        .isEqualTo("The 'database' operation is not supported for the 'redis' datastore.");

    CommandResult root = run(CommandType.ENABLE_ROOT, new RootRequest(null));
    String rootPassword = root.result().get("password").asText();
    try (Jedis jedis = connect("root", rootPassword)) {
      assertThat(jedis.configGet("maxmemory")).isNotEmpty();
    }

    assertThat(run(CommandType.PREPARE, new PrepareRequest(null, List.of(APP_USER))).ok())
        .as("PREPARE again after a crash finds its objects and succeeds")
        .isTrue();
    assertThat(standIn.unauthorizedRequests()).isZero();
    assertNoSecretLoggedAndEveryAgentLineNamesTheInstance(rootPassword);
  }

  @Test
  void aKilledEngineIsReportedDownAndRestarted() {
    prepare();
    long pid = runtime.engine().pid().orElseThrow();
    int mark = standIn.heartbeats().size();

    ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL

    int down = awaitHeartbeat(EngineStatus.SHUTDOWN, mark, Duration.ofSeconds(15));
    assertThat(standIn.heartbeats().get(down).message()).contains("not running");
    awaitHeartbeat(EngineStatus.RUNNING, down + 1, Duration.ofSeconds(30));
    assertThat(runtime.engine().pid()).isPresent().get().isNotEqualTo(pid);
    try (Jedis jedis = connect("app", USER_PASSWORD)) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void aResultIsDeliveredOnceTheControlPlaneIsBack() throws Exception {
    prepare();
    standIn.crashOnNextResult();

    String id = send(CommandType.LIST_USERS, null);

    await().atMost(Duration.ofSeconds(20)).until(standIn::isDown);
    // The agent keeps trying (result and heartbeats) while nobody answers.
    await().atMost(Duration.ofSeconds(20)).until(() -> standIn.connectionsWhileDown() >= 4);
    assertThat(standIn.result(id)).isEmpty();

    standIn.comeBack();

    CommandResult result = awaitResult(id, Duration.ofSeconds(15));
    assertThat(result.ok()).isTrue();
    assertThat(result.result().get(0).get("name").asText()).isEqualTo("app");
    int after = standIn.heartbeats().size();
    awaitHeartbeat(EngineStatus.RUNNING, after);
    assertThat(run(CommandType.ROOT_STATUS, null).result().get("enabled").asBoolean()).isFalse();
  }

  @Test
  void aNewAgentAdoptsThePreparedEngineWithoutAnotherPrepare() {
    prepare();
    long pid = runtime.engine().pid().orElseThrow();
    runtime.stop();
    assertThat(OsProcesses.isAlive(pid)).as("the engine outlives its agent").isTrue();
    int mark = standIn.heartbeats().size();

    runtime = AgentRuntime.create(config);
    runtime.start();

    awaitHeartbeat(EngineStatus.RUNNING, mark);
    assertThat(standIn.heartbeats().subList(mark, standIn.heartbeats().size()))
        .extracting(Heartbeat::status)
        .as("a running engine is never reported down or building when its agent restarts")
        .doesNotContain(EngineStatus.BUILDING, EngineStatus.FAILED, EngineStatus.SHUTDOWN);
    assertThat(runtime.engine().pid()).contains(pid);
  }

  @Test
  void anAgentWhoseInstanceDirectoryWasDeletedAsksToExitInsteadOfLingering() throws IOException {
    // Not prepared: nothing runs; the instance is destroyed around the agent.
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> runtime.exitRequested().isDone());
  }

  @Test
  void shutdownStopsTheEngineAnswersAndAsksTheAgentToExit() {
    prepare();
    long pid = runtime.engine().pid().orElseThrow();

    CommandResult result = run(CommandType.SHUTDOWN, null);

    assertThat(result.ok()).isTrue();
    assertThat(OsProcesses.isAlive(pid)).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> runtime.exitRequested().isDone());
    int mark = standIn.heartbeats().size();
    awaitHeartbeat(EngineStatus.SHUTDOWN, mark);
    assertThat(OsProcesses.isAlive(pid)).as("a shut down engine is not restarted").isFalse();
  }

  @Test
  void aFailedPrepareIsReportedAsFailed() {
    CommandResult result =
        run(CommandType.PREPARE, new PrepareRequest(List.of(DatabaseSpec.named("db1")), null));

    assertThat(result.ok()).isFalse();
    assertThat(result.errorKind()).isEqualTo(ErrorKind.UNSUPPORTED);
    int failed = awaitHeartbeat(EngineStatus.FAILED, 0);
    assertThat(standIn.heartbeats().get(failed).message()).isEqualTo(result.error());
    assertThat(dir.resolve("agent/prepared")).doesNotExist();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void prepare() {
    CommandResult prepared = run(CommandType.PREPARE, new PrepareRequest(null, List.of(APP_USER)));
    assertThat(prepared.ok()).as(String.valueOf(prepared.error())).isTrue();
    awaitHeartbeat(EngineStatus.RUNNING, 0);
  }

  private String send(CommandType type, Object payload) {
    String id = UUID.randomUUID().toString();
    standIn.send(new AgentCommand(id, type, payload == null ? null : mapper.valueToTree(payload)));
    return id;
  }

  private CommandResult run(CommandType type, Object payload) {
    return awaitResult(send(type, payload), COMMAND_TIMEOUT);
  }

  private CommandResult awaitResult(String id, Duration timeout) {
    return await().atMost(timeout).until(() -> standIn.result(id), Optional::isPresent).get();
  }

  private int awaitHeartbeat(EngineStatus status, int fromIndex) {
    return awaitHeartbeat(status, fromIndex, Duration.ofSeconds(15));
  }

  /** Index of the first heartbeat at or after {@code fromIndex} with {@code status}. */
  private int awaitHeartbeat(EngineStatus status, int fromIndex, Duration timeout) {
    return await()
        .atMost(timeout)
        .until(
            () -> {
              List<Heartbeat> all = standIn.heartbeats();
              for (int i = fromIndex; i < all.size(); i++) {
                if (all.get(i).status() == status) {
                  return i;
                }
              }
              return -1;
            },
            index -> index >= 0);
  }

  private Jedis connect(String user, String password) {
    return new Jedis(
        config.bindAddress(),
        config.port(),
        DefaultJedisClientConfig.builder()
            .user(user)
            .password(password)
            .timeoutMillis(5000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  private void assertNoSecretLoggedAndEveryAgentLineNamesTheInstance(String rootPassword) {
    List<ILoggingEvent> events = List.copyOf(logs.list);
    assertThat(events).isNotEmpty();
    for (ILoggingEvent event : events) {
      String line =
          event.getFormattedMessage()
              + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage());
      assertThat(line).doesNotContain(USER_PASSWORD, rootPassword, SECRET);
      if (event.getThreadName().startsWith("agent-")) {
        assertThat(event.getMDCPropertyMap()).containsEntry("instance_id", config.instanceId());
      }
    }
  }

  private static Logger rootLogger() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private static int freePort(String address) throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(address, 0));
      return socket.getLocalPort();
    }
  }
}

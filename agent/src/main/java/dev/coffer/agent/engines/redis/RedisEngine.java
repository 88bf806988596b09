package dev.coffer.agent.engines.redis;

import static dev.coffer.agent.engines.redis.RedisEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.redis.RedisEngineFactory.NAME;
import static dev.coffer.agent.engines.redis.RedisEngineFactory.ROOT_USER;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.ClusterEngine;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.engine.UserChecks;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.GuestLogType;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ShutdownParams;
import redis.clients.jedis.resps.AccessControlUser;

/**
 * One redis-server process. The agent manages it as {@code os_admin}, an ACL user with every
 * permission; clients' users may touch any key but run no admin or dangerous command. Every ACL
 * change is followed by {@code ACL SAVE} so users survive a restart. Backups are full RDB snapshots
 * with the users beside them (see {@link RedisBackups}). Replication is {@code REPLICAOF}, with the
 * role kept in a file {@code redis.conf} includes (see {@link RedisReplication}). The configuration
 * group is another included file, applied live with {@code CONFIG SET} (see {@link
 * RedisConfiguration}). Redis Cluster is another included file and the members' own account (see
 * {@link RedisCluster}).
 */
final class RedisEngine
    implements Engine,
        BackupEngine,
        ReplicationEngine,
        ConfigurableEngine,
        GuestLogEngine,
        ClusterEngine {
  private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);

  private static final Duration START_DEADLINE = Duration.ofSeconds(30);
  private static final Duration SHUTDOWN_DEADLINE = Duration.ofSeconds(60);
  private static final int ADMIN_TIMEOUT_MILLIS = 5_000;
  private static final int HEALTH_TIMEOUT_MILLIS = 2_000;

  /** A client's user: every key and channel, but no CONFIG, ACL, SHUTDOWN, FLUSHALL, KEYS... */
  private static final List<String> USER_PERMISSIONS =
      List.of("~*", "&*", "+@all", "-@admin", "-@dangerous");

  private static final List<String> ROOT_PERMISSIONS = List.of("~*", "&*", "+@all");

  private final EngineContext context;
  private final DatastoreDescriptor descriptor;
  private final RedisFiles files;
  private final RedisBackups backups;
  private final RedisReplication replication;
  private final RedisConfiguration configuration;
  private final RedisCluster cluster;

  RedisEngine(EngineContext context, DatastoreDescriptor descriptor) {
    this.context = context;
    this.descriptor = descriptor;
    this.files = RedisFiles.of(context);
    this.backups =
        new RedisBackups(
            files,
            context.dataDir(),
            () -> connect(ADMIN_USER, adminPassword(), ADMIN_TIMEOUT_MILLIS),
            this::adminPassword);
    this.replication =
        new RedisReplication(
            files,
            timeoutMillis -> connect(ADMIN_USER, adminPassword(), timeoutMillis),
            () -> OsProcesses.ownedDirectories(context.runAsUser(), context.dataDir()));
    this.configuration =
        new RedisConfiguration(
            files,
            context.memoryMb(),
            () -> connect(ADMIN_USER, adminPassword(), ADMIN_TIMEOUT_MILLIS),
            () -> OsProcesses.ownedDirectories(context.runAsUser(), context.dataDir()));
    this.cluster =
        new RedisCluster(
            files,
            context.bindAddress(),
            context.port(),
            () -> connect(ADMIN_USER, adminPassword(), ADMIN_TIMEOUT_MILLIS),
            () -> OsProcesses.ownedDirectories(context.runAsUser(), context.dataDir()),
            context.agentDir().resolve("cluster-members"));
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  @Override
  public synchronized void initialize() {
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
    String adminPassword = adminPassword();
    files.writeConfig(context);
    replication.initialize();
    configuration.initialize();
    cluster.initialize();
    if (!Files.exists(files.aclFile())) {
      files.writeInitialAcl(ADMIN_USER, adminPassword);
      log.info("redis initialised dir={}", context.instanceDir());
    }
    // The data directory holds the ACL file (password hashes) and the data: owner only.
    setPermissions(context.dataDir(), "rwx------");
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
  }

  @Override
  public synchronized void start() {
    Optional<Long> running = pid();
    if (running.isPresent()) {
      log.info("adopting running redis-server pid={}", running.get());
      awaitReady(running.get(), false);
      return;
    }
    if (!Files.exists(files.config()) || !Files.exists(files.aclFile())) {
      throw EngineException.failure("redis is not initialised in " + context.instanceDir());
    }
    // redis.conf includes both: an instance from before replication or configuration groups.
    files.writeConfig(context);
    replication.initialize();
    configuration.initialize();
    cluster.initialize();
    try {
      Files.deleteIfExists(files.pidFile());
    } catch (IOException e) {
      throw EngineException.failure("cannot remove stale pid file: " + e.getMessage(), e);
    }
    // Cheap for Redis' few files, and repairs ownership after a restore or a manual edit.
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
    Process process =
        OsProcesses.spawn(
            List.of(context.binary("server"), files.config().toString()),
            context.runAsUser(),
            files.consoleLog(),
            Map.of());
    log.info("redis-server started pid={} address={}:{}", process.pid(), address(), port());
    awaitReady(process.pid(), true);
  }

  @Override
  public synchronized void stop() {
    Optional<Long> running = pid();
    if (running.isEmpty()) {
      return;
    }
    long pid = running.get();
    try (Jedis jedis = connect(ADMIN_USER, adminPassword(), ADMIN_TIMEOUT_MILLIS)) {
      // SAVE: write a snapshot even if no save point is configured, then exit.
      jedis.shutdown(ShutdownParams.shutdownParams().save());
    } catch (JedisException e) {
      log.warn("redis SHUTDOWN failed, sending SIGTERM pid={} error={}", pid, e.getMessage());
      OsProcesses.terminate(pid, SHUTDOWN_DEADLINE);
    }
    if (!OsProcesses.waitForExit(pid, SHUTDOWN_DEADLINE)) {
      log.warn("redis-server did not exit after SHUTDOWN, terminating pid={}", pid);
      OsProcesses.terminate(pid, Duration.ofSeconds(10));
    }
    log.info("redis-server stopped pid={}", pid);
  }

  @Override
  public boolean isHealthy() {
    try {
      if (pid().isEmpty()) {
        return false;
      }
      try (Jedis jedis = connect(ADMIN_USER, adminPassword(), HEALTH_TIMEOUT_MILLIS)) {
        return "PONG".equals(jedis.ping());
      }
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The PID in redis-server's pid file, if that process is alive and is a Redis server. */
  @Override
  public Optional<Long> pid() {
    return OsProcesses.readPid(files.pidFile())
        .filter(
            pid ->
                ProcessHandle.of(pid)
                    .filter(h -> OsProcesses.isAlive(h.pid()))
                    // Guards against a reused PID; unknown when the OS will not tell us.
                    .map(h -> h.info().command().map(c -> c.contains("redis")).orElse(true))
                    .orElse(false));
  }

  /**
   * Waits until the admin user can log in and PING. A process we started ourselves is killed if it
   * never becomes ready, so a failed start leaves nothing behind.
   */
  private void awaitReady(long pid, boolean startedHere) {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    String lastError = "no answer";
    while (System.nanoTime() < deadline) {
      if (!OsProcesses.isAlive(pid)) {
        throw EngineException.failure("redis-server exited during start-up: " + startupErrors());
      }
      try (Jedis jedis = connect(ADMIN_USER, adminPassword(), HEALTH_TIMEOUT_MILLIS)) {
        if ("PONG".equals(jedis.ping())) {
          return;
        }
      } catch (JedisException e) {
        lastError = e.getMessage(); // for example LOADING while the AOF is replayed
      }
      pause(Duration.ofMillis(50));
    }
    if (startedHere) {
      OsProcesses.terminate(pid, Duration.ofSeconds(5));
    }
    throw EngineException.failure(
        "redis-server did not accept connections within "
            + START_DEADLINE.toSeconds()
            + " s: "
            + lastError);
  }

  // ---- users --------------------------------------------------------------------------------

  @Override
  public void createUser(UserSpec user) {
    UserChecks.requireValidName(descriptor, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    if (!user.databases().isEmpty()) {
      throw EngineException.unsupported(Capability.USER_ACCESS.operation(), NAME);
    }
    String password = UserChecks.requirePassword(user.password());
    withAdmin(
        jedis -> {
          if (jedis.aclGetUser(user.name()) != null) {
            throw UserChecks.alreadyExists(user.name());
          }
          jedis.aclSetUser(user.name(), userRules("on", List.of(">" + password)));
          jedis.aclSave();
          return null;
        },
        password);
    log.info("redis user created user={}", user.name());
  }

  @Override
  public void deleteUser(UserRef user) {
    UserChecks.requireValidName(descriptor, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    withAdmin(
        jedis -> {
          if (jedis.aclGetUser(user.name()) == null) {
            throw UserChecks.notFound(user.name());
          }
          jedis.aclDelUser(user.name());
          jedis.aclSave();
          return null;
        });
    log.info("redis user deleted user={}", user.name());
  }

  @Override
  public List<UserInfo> listUsers() {
    return withAdmin(
        jedis ->
            jedis.aclUsers().stream()
                .filter(name -> !descriptor.reservedUsers().contains(name))
                .sorted()
                .map(RedisEngine::info)
                .toList());
  }

  @Override
  public Optional<UserInfo> findUser(UserRef user) {
    if (descriptor.reservedUsers().contains(user.name())
        || !isValidName(user.name())
        || !"%".equals(user.host())) {
      return Optional.empty();
    }
    return withAdmin(
        jedis ->
            Optional.ofNullable(jedis.aclGetUser(user.name())).map(found -> info(user.name())));
  }

  @Override
  public void updateUser(UserUpdate update) {
    UserRef user = update.user();
    UserChecks.requireValidName(descriptor, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    if (update.newHost() != null) {
      UserChecks.requireNoHost(update.newHost(), NAME);
    }
    String newName =
        update.newName() == null || update.newName().equals(user.name()) ? null : update.newName();
    if (newName != null) {
      UserChecks.requireValidName(descriptor, newName);
    }
    String newPassword =
        update.newPassword() == null ? null : UserChecks.requirePassword(update.newPassword());
    String[] secrets = newPassword == null ? new String[0] : new String[] {newPassword};
    withAdmin(
        jedis -> {
          AccessControlUser existing = jedis.aclGetUser(user.name());
          if (existing == null) {
            throw UserChecks.notFound(user.name());
          }
          if (newName != null) {
            if (jedis.aclGetUser(newName) != null) {
              throw UserChecks.alreadyExists(newName);
            }
            // Redis cannot rename a user: create the new one with the same password hashes (or
            // the new password), then drop the old one.
            List<String> passwords =
                newPassword != null
                    ? List.of(">" + newPassword)
                    : existing.getPasswords().stream().map(hash -> "#" + hash).toList();
            String state = existing.getFlags().contains("off") ? "off" : "on";
            jedis.aclSetUser(newName, userRules(state, passwords));
            jedis.aclDelUser(user.name());
          } else if (newPassword != null) {
            jedis.aclSetUser(user.name(), "resetpass", ">" + newPassword);
          }
          jedis.aclSave();
          return null;
        },
        secrets);
    log.info(
        "redis user updated user={} renamedTo={} passwordChanged={}",
        user.name(),
        newName,
        newPassword != null);
  }

  // ---- root ---------------------------------------------------------------------------------

  @Override
  public RootCredentials enableRoot(Optional<String> password) {
    String rootPassword = password.filter(p -> !p.isEmpty()).orElseGet(() -> Secrets.password(24));
    List<String> rules = new ArrayList<>(List.of("reset", "on", ">" + rootPassword));
    rules.addAll(ROOT_PERMISSIONS);
    withAdmin(
        jedis -> {
          jedis.aclSetUser(ROOT_USER, rules.toArray(String[]::new));
          jedis.aclSave();
          return null;
        },
        rootPassword);
    log.info("redis root enabled user={}", ROOT_USER);
    return new RootCredentials(ROOT_USER, rootPassword);
  }

  @Override
  public void disableRoot() {
    withAdmin(
        jedis -> {
          jedis.aclDelUser(ROOT_USER);
          jedis.aclSave();
          return null;
        });
    log.info("redis root disabled user={}", ROOT_USER);
  }

  @Override
  public boolean isRootEnabled() {
    return withAdmin(
        jedis -> {
          AccessControlUser root = jedis.aclGetUser(ROOT_USER);
          return root != null && root.getFlags().contains("on");
        });
  }

  // ---- backups ------------------------------------------------------------------------------

  /**
   * Redis checks a snapshot's CRC64 when it loads it, so a restored instance that serves passed the
   * engine's own check; this counts its keys in every database.
   */
  @Override
  public DataCheck checkData() {
    try (Jedis jedis = connect(ADMIN_USER, adminPassword(), ADMIN_TIMEOUT_MILLIS)) {
      long keys = 0;
      for (String line : jedis.info("keyspace").split("\\r?\\n")) {
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("^db\\d+:keys=(\\d+)").matcher(line);
        if (m.find()) {
          keys += Long.parseLong(m.group(1));
        }
      }
      return new DataCheck(
          true, keys, "snapshot checksum verified by Redis when it loaded the data");
    } catch (RuntimeException e) {
      throw EngineException.failure("the data check failed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean supportsIncremental() {
    return false;
  }

  /** A full RDB snapshot and the users; Redis has no incremental form of an RDB. */
  @Override
  public BackupManifest backup(Optional<BackupManifest> parent, OutputStream out) {
    if (parent.isPresent()) {
      throw EngineException.unsupported("incremental backup", NAME);
    }
    return backups.backup(out);
  }

  @Override
  public synchronized void restore(List<BackupSource> chain) {
    if (chain.isEmpty()) {
      throw EngineException.badRequest("A restore needs a backup.");
    }
    if (chain.size() > 1) {
      throw EngineException.unsupported("incremental backup", NAME);
    }
    if (pid().isPresent()) {
      throw EngineException.conflict("redis-server is running; stop it before a restore.");
    }
    backups.restore(chain.get(0));
  }

  // ---- replication --------------------------------------------------------------------------

  @Override
  public Map<String, String> prepareSource(SourceRequest request) {
    // Redis has no synchronous replication: request.synchronous() is ignored.
    return replication.prepareSource(request.credentials());
  }

  /** Redis keeps nothing per replica on its source (no slots): nothing to forget. */
  @Override
  public void releaseReplica(String replicaId) {
    log.info("redis replica released replica={}", replicaId);
  }

  /** A replica starts empty and receives everything over the link (a full sync). */
  @Override
  public boolean seedsFromBackup() {
    return false;
  }

  @Override
  public synchronized void configureReplica(ReplicaSetup setup) {
    if (pid().isPresent()) {
      throw EngineException.conflict("redis-server is running; stop it before configuring it.");
    }
    replication.configureReplica(setup);
  }

  @Override
  public synchronized void startReplica(ReplicaSetup setup) {
    replication.follow(setup);
  }

  @Override
  public Optional<EngineMetrics> metrics() {
    Map<String, String> info = withAdmin(jedis -> infoFields(jedis.info()));
    try {
      return Optional.of(
          new EngineMetrics(
              Long.parseLong(info.getOrDefault("connected_clients", "0")),
              Long.parseLong(info.getOrDefault("total_commands_processed", "0"))));
    } catch (NumberFormatException e) {
      throw EngineException.failure("redis: unreadable INFO: " + e.getMessage());
    }
  }

  private static Map<String, String> infoFields(String info) {
    Map<String, String> fields = new java.util.HashMap<>();
    for (String line : info.split("\\r?\\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return fields;
  }

  @Override
  public ReplicationStatus replicationStatus() {
    return replication.status();
  }

  @Override
  public synchronized void promote() {
    replication.promote();
  }

  @Override
  public synchronized void fence() {
    replication.fence();
  }

  @Override
  public synchronized void repoint(ReplicaSetup setup) {
    replication.follow(setup);
  }

  // ---- Redis Cluster -------------------------------------------------------------------------

  @Override
  public synchronized void configureCluster(ClusterSetup setup) {
    if (pid().isPresent()) {
      throw EngineException.conflict("redis-server is running; stop it before configuring it.");
    }
    cluster.configure(setup);
  }

  @Override
  public void formCluster(ClusterSetup setup) {
    cluster.form(setup);
  }

  @Override
  public void membersAdded(ClusterSetup setup, List<String> added) {
    cluster.membersAdded(setup, added);
  }

  @Override
  public void leaveCluster(ClusterSetup setup) {
    cluster.leave(setup);
  }

  @Override
  public void membersRemoved(ClusterSetup setup, List<String> removed) {
    cluster.membersRemoved(setup, removed);
  }

  @Override
  public ClusterStatus clusterStatus() {
    return cluster.status();
  }

  // ---- what Redis does not have -------------------------------------------------------------

  @Override
  public void createDatabase(DatabaseSpec database) {
    throw noDatabases();
  }

  @Override
  public void deleteDatabase(String name) {
    throw noDatabases();
  }

  @Override
  public List<DatabaseSpec> listDatabases() {
    throw noDatabases();
  }

  @Override
  public void grantAccess(AccessChange change) {
    throw EngineException.unsupported(Capability.USER_ACCESS.operation(), NAME);
  }

  @Override
  public void revokeAccess(AccessChange change) {
    throw EngineException.unsupported(Capability.USER_ACCESS.operation(), NAME);
  }

  private static EngineException noDatabases() {
    return EngineException.unsupported(Capability.DATABASES.operation(), NAME);
  }

  // ---- configuration groups ----------------------------------------------------------------

  @Override
  public Set<String> applyConfiguration(Map<String, String> values) {
    return configuration.apply(values);
  }

  @Override
  public Map<String, String> currentConfiguration(Set<String> names) {
    return configuration.current(names);
  }

  // ---- guest logs ----

  /** The name of the one log Redis keeps as a file. */
  static final String SERVER_LOG = "server";

  /**
   * Only the server log (SYS): Redis' SLOWLOG is a bounded list in memory, not a file with offsets
   * to publish from, and Redis has no general log (MONITOR is a live stream).
   */
  @Override
  public List<GuestLogFile> guestLogs() {
    return List.of(new GuestLogFile(SERVER_LOG, GuestLogType.SYS, files.logFile(), true));
  }

  @Override
  public void setGuestLog(String name, boolean enabled) {
    throw EngineException.badRequest("Redis has no log that can be turned on or off.");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static UserInfo info(String name) {
    return new UserInfo(name, "%", List.of());
  }

  private static String[] userRules(String state, List<String> passwords) {
    List<String> rules = new ArrayList<>();
    rules.add(state);
    rules.addAll(passwords);
    rules.addAll(USER_PERMISSIONS);
    return rules.toArray(String[]::new);
  }

  private static boolean isValidName(String name) {
    return RedisEngineFactory.USER_NAMES.violation(name).isEmpty();
  }

  /**
   * Runs {@code action} on an admin connection. Redis errors become engine failures whose message
   * never repeats any of {@code secrets}, since Redis echoes a faulty ACL rule back.
   */
  private <T> T withAdmin(Function<Jedis, T> action, String... secrets) {
    try (Jedis jedis = connect(ADMIN_USER, adminPassword(), ADMIN_TIMEOUT_MILLIS)) {
      return action.apply(jedis);
    } catch (JedisException e) {
      String message = String.valueOf(e.getMessage());
      for (String secret : secrets) {
        message = message.replace(secret, "***");
      }
      throw EngineException.failure("redis: " + message);
    }
  }

  private Jedis connect(String user, String password, int timeoutMillis) {
    return new Jedis(
        address(),
        port(),
        DefaultJedisClientConfig.builder()
            .user(user)
            .password(password)
            .timeoutMillis(timeoutMillis)
            // CLIENT SETINFO only exists from Redis 7.2.
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  private String address() {
    return context.bindAddress();
  }

  private int port() {
    return context.port();
  }

  private String adminPassword() {
    Path agentDir = context.agentDir();
    try {
      if (!Files.isDirectory(agentDir)) {
        Files.createDirectories(agentDir);
        setPermissions(agentDir, "rwx------");
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot create " + agentDir + ": " + e.getMessage(), e);
    }
    return Secrets.readOrCreate(agentDir.resolve("admin.secret"));
  }

  private static void setPermissions(Path path, String permissions) {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (IOException e) {
      throw EngineException.failure("cannot set permissions on " + path + ": " + e.getMessage(), e);
    }
  }

  /** The last lines of Redis' console and log files: why it refused to start. */
  private String startupErrors() {
    List<String> lines = new ArrayList<>();
    for (Path file : List.of(files.consoleLog(), files.logFile())) {
      try (Stream<String> all = Files.lines(file, StandardCharsets.UTF_8)) {
        List<String> nonBlank = all.filter(l -> !l.isBlank()).toList();
        lines.addAll(nonBlank.subList(Math.max(0, nonBlank.size() - 3), nonBlank.size()));
      } catch (IOException | java.io.UncheckedIOException e) {
        // absent or unreadable: nothing to add
      }
    }
    return lines.isEmpty() ? "no output" : String.join(" | ", lines);
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for redis-server", e);
    }
  }
}

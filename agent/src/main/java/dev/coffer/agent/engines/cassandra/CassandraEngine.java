package dev.coffer.agent.engines.cassandra;

import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.DEFAULT_SUPERUSER;
import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.MAX_REPLICATION_FACTOR;
import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.NAME;
import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.ROOT_USER;
import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.SYSTEM_KEYSPACES;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.loadbalancing.NodeDistance;
import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.ClusterEngine;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.agent.engine.UserChecks;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.GuestLogType;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import dev.coffer.api.datastores.DatastoreDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cassandra node: a JVM running {@code CassandraDaemon} from the runtime's jars as the run-as
 * user, managed over CQL (the DataStax/Apache Java driver) as the superuser role {@code os_admin},
 * and over JMX with {@link Nodetool}. On its first start the node creates Cassandra's default
 * superuser {@code cassandra}; the agent logs in with it once, creates {@code os_admin} and drops
 * {@code cassandra}. In a ring every member shares the cluster's secret as the {@code os_admin}
 * password, since roles are replicated data.
 */
final class CassandraEngine
    implements Engine, BackupEngine, ConfigurableEngine, GuestLogEngine, ClusterEngine {
  private static final Logger log = LoggerFactory.getLogger(CassandraEngine.class);

  /** Generous: a joining ring member streams its ranges before it serves CQL. */
  private static final Duration START_DEADLINE = Duration.ofMinutes(5);

  private static final Duration STOP_DEADLINE = Duration.ofSeconds(90);
  private static final String DATACENTER = "datacenter1";
  private static final String SYSTEM_LOG = "system";

  private final EngineContext context;
  private final DatastoreDescriptor descriptor;
  private final CassandraFiles files;
  private final Nodetool nodetool;
  private final CassandraBackups backups;
  private final CassandraRing ring;
  private CqlSession session;

  CassandraEngine(EngineContext context, DatastoreDescriptor descriptor) {
    this.context = context;
    this.descriptor = descriptor;
    this.files = CassandraFiles.of(context);
    this.nodetool = new Nodetool(context, files, files::jmxPort);
    this.backups = new CassandraBackups(context, files, nodetool, this::withAdmin);
    this.ring = new CassandraRing(context, files, nodetool, this::withAdmin);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  @Override
  public synchronized void initialize() {
    ensureAgentDir();
    adminPassword();
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
    files.render(context);
    setPermissions(context.dataDir(), "rwx------");
    log.info("cassandra initialised dir={}", context.instanceDir());
  }

  @Override
  public synchronized void start() {
    Optional<Long> running = pid();
    if (running.isPresent()) {
      log.info("adopting running cassandra pid={}", running.get());
      awaitReady(running.get(), false);
      backups.finishRestore(this::replicationFactor);
      return;
    }
    ensureAgentDir();
    files.render(context);
    try {
      Files.deleteIfExists(files.pidFile());
    } catch (IOException e) {
      throw EngineException.failure("cannot remove stale pid file: " + e.getMessage(), e);
    }
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
    List<String> command =
        List.of(
            context.binary(CassandraRuntime.JAVA),
            "@" + files.jvmOptions(),
            "-cp",
            CassandraRuntime.classpath(context.binary(CassandraRuntime.LIB)),
            "org.apache.cassandra.service.CassandraDaemon");
    Process process = OsProcesses.spawn(command, context.runAsUser(), files.consoleLog(), Map.of());
    CassandraFiles.atomicWrite(files.pidFile(), process.pid() + "\n");
    log.info(
        "cassandra started pid={} address={}:{} jmx={}",
        process.pid(),
        context.bindAddress(),
        context.port(),
        files.jmxPort());
    awaitReady(process.pid(), true);
    backups.finishRestore(this::replicationFactor);
  }

  @Override
  public synchronized void stop() {
    closeSession();
    Optional<Long> running = pid();
    if (running.isEmpty()) {
      return;
    }
    long pid = running.get();
    try {
      // Flushes memtables and stops accepting writes: the next start replays no commit log.
      nodetool.run(Duration.ofMinutes(2), "drain");
    } catch (EngineException e) {
      log.warn("nodetool drain failed, stopping anyway pid={} error={}", pid, e.getMessage());
    }
    OsProcesses.terminate(pid, STOP_DEADLINE);
    try {
      Files.deleteIfExists(files.pidFile());
    } catch (IOException e) {
      log.warn("cannot remove pid file {}: {}", files.pidFile(), e.getMessage());
    }
    log.info("cassandra stopped pid={}", pid);
  }

  @Override
  public boolean isHealthy() {
    try {
      if (pid().isEmpty()) {
        return false;
      }
      return withAdmin(s -> s.execute("SELECT release_version FROM system.local").one() != null);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The PID the agent recorded when it started the JVM, if that process is alive. */
  @Override
  public Optional<Long> pid() {
    return OsProcesses.readPid(files.pidFile())
        .filter(
            pid ->
                ProcessHandle.of(pid)
                    .filter(h -> OsProcesses.isAlive(h.pid()))
                    // Guards against a reused PID; unknown when the OS will not tell us.
                    .map(
                        h ->
                            h.info()
                                .commandLine()
                                .map(c -> c.contains(files.jvmOptions().toString()))
                                .orElse(true))
                    .orElse(false));
  }

  /**
   * Waits until {@code os_admin} can log in. On a new node that role does not exist yet: the agent
   * logs in once with Cassandra's default superuser, creates it and drops the default. A process
   * started here is killed if it never becomes ready.
   */
  private void awaitReady(long pid, boolean startedHere) {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    String lastError = "no answer";
    while (System.nanoTime() < deadline) {
      if (!OsProcesses.isAlive(pid)) {
        throw EngineException.failure("cassandra exited during start-up: " + startupErrors());
      }
      if (portOpen()) {
        try {
          withAdmin(s -> s.execute("SELECT release_version FROM system.local"));
          return;
        } catch (EngineException e) {
          lastError = e.getMessage();
          closeSession();
        }
        if (replaceDefaultSuperuser()) {
          return;
        }
      }
      pause(Duration.ofMillis(500));
    }
    if (startedHere) {
      OsProcesses.terminate(pid, Duration.ofSeconds(10));
    }
    throw EngineException.failure(
        "cassandra did not accept connections within "
            + START_DEADLINE.toSeconds()
            + " s: "
            + lastError);
  }

  /** True once os_admin replaced the default superuser; false if the default cannot log in. */
  private boolean replaceDefaultSuperuser() {
    String password = adminPassword();
    try (CqlSession defaults = connect(DEFAULT_SUPERUSER, DEFAULT_SUPERUSER)) {
      Row existing =
          defaults
              .execute(
                  SimpleStatement.newInstance(
                      "SELECT role FROM system_auth.roles WHERE role = ?", ADMIN_USER))
              .one();
      String options =
          " WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = " + literal(password);
      defaults.execute(
          (existing == null ? "CREATE ROLE " : "ALTER ROLE ") + ident(ADMIN_USER) + options);
    } catch (DriverException e) {
      return false;
    }
    // Cassandra keeps the default superuser otherwise, with its well-known password.
    withAdmin(s -> s.execute("DROP ROLE IF EXISTS " + ident(DEFAULT_SUPERUSER)));
    log.info("cassandra admin role created, default superuser dropped user={}", ADMIN_USER);
    return true;
  }

  private boolean portOpen() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(context.bindAddress(), context.port()), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ---- databases ----------------------------------------------------------------------------

  @Override
  public void createDatabase(DatabaseSpec database) {
    String name = database.name();
    checkDatabaseName(name);
    int rf = replicationFactor();
    withAdmin(
        s -> {
          if (keyspaceExists(s, name)) {
            throw EngineException.conflict(
                "A database with the name \"" + name + "\" already exists.");
          }
          s.execute(
              "CREATE KEYSPACE "
                  + ident(name)
                  + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
                  + rf
                  + "}");
          return null;
        });
    log.info("cassandra keyspace created instance={} keyspace={} rf={}", id(), name, rf);
  }

  @Override
  public void deleteDatabase(String name) {
    checkDatabaseName(name);
    withAdmin(
        s -> {
          if (!keyspaceExists(s, name)) {
            throw EngineException.notFound("Database \"" + name + "\" was not found.");
          }
          s.execute("DROP KEYSPACE " + ident(name));
          return null;
        });
    log.info("cassandra keyspace deleted instance={} keyspace={}", id(), name);
  }

  @Override
  public List<DatabaseSpec> listDatabases() {
    return userKeyspaces().stream().map(DatabaseSpec::named).toList();
  }

  List<String> userKeyspaces() {
    return withAdmin(
        s -> {
          List<String> names = new ArrayList<>();
          for (Row row : s.execute("SELECT keyspace_name FROM system_schema.keyspaces")) {
            String ks = row.getString(0);
            if (!SYSTEM_KEYSPACES.contains(ks)) {
              names.add(ks);
            }
          }
          names.sort(null);
          return names;
        });
  }

  /** SimpleStrategy with as many replicas as nodes, up to three. */
  int replicationFactor() {
    return withAdmin(
        s -> {
          int peers = s.execute("SELECT peer FROM system.peers_v2").all().size();
          return Math.min(MAX_REPLICATION_FACTOR, peers + 1);
        });
  }

  private static boolean keyspaceExists(CqlSession s, String name) {
    return s.execute(
                SimpleStatement.newInstance(
                    "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
                    name))
            .one()
        != null;
  }

  // ---- users --------------------------------------------------------------------------------

  @Override
  public void createUser(UserSpec user) {
    UserChecks.requireValidName(descriptor, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    String password = UserChecks.requirePassword(user.password());
    for (String db : user.databases()) {
      checkDatabaseName(db);
    }
    withAdmin(
        s -> {
          if (roleExists(s, user.name())) {
            throw EngineException.conflict(
                "A user with the name \"" + user.name() + "\" already exists.");
          }
          for (String db : user.databases()) {
            if (!keyspaceExists(s, db)) {
              throw EngineException.notFound("Database \"" + db + "\" was not found.");
            }
          }
          s.execute(
              "CREATE ROLE "
                  + ident(user.name())
                  + " WITH LOGIN = true AND SUPERUSER = false AND PASSWORD = "
                  + literal(password));
          for (String db : user.databases()) {
            s.execute(grant(db, user.name()));
          }
          return null;
        },
        password);
    log.info("cassandra user created instance={} user={}", id(), user.name());
  }

  @Override
  public void deleteUser(UserRef user) {
    UserChecks.requireValidName(descriptor, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    withAdmin(
        s -> {
          if (!roleExists(s, user.name())) {
            throw UserChecks.notFound(user.name());
          }
          s.execute("DROP ROLE " + ident(user.name()));
          return null;
        });
    log.info("cassandra user deleted instance={} user={}", id(), user.name());
  }

  @Override
  public List<UserInfo> listUsers() {
    return withAdmin(
        s -> {
          Map<String, List<String>> access = accessByRole(s);
          List<UserInfo> users = new ArrayList<>();
          for (Row row : s.execute("SELECT role, can_login FROM system_auth.roles")) {
            String role = row.getString(0);
            if (row.getBoolean(1) && !descriptor.reservedUsers().contains(role)) {
              users.add(new UserInfo(role, "%", access.getOrDefault(role, List.of())));
            }
          }
          users.sort((a, b) -> a.name().compareTo(b.name()));
          return users;
        });
  }

  @Override
  public Optional<UserInfo> findUser(UserRef user) {
    if (descriptor.reservedUsers().contains(user.name())
        || CassandraEngineFactory.NAMES.violation(user.name()).isPresent()
        || !"%".equals(user.host())) {
      return Optional.empty();
    }
    return listUsers().stream().filter(u -> u.name().equals(user.name())).findFirst();
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
        s -> {
          Row existing =
              s.execute(
                      SimpleStatement.newInstance(
                          "SELECT salted_hash FROM system_auth.roles WHERE role = ?", user.name()))
                  .one();
          if (existing == null) {
            throw UserChecks.notFound(user.name());
          }
          if (newName == null) {
            if (newPassword != null) {
              s.execute(
                  "ALTER ROLE " + ident(user.name()) + " WITH PASSWORD = " + literal(newPassword));
            }
            return null;
          }
          if (roleExists(s, newName)) {
            throw EngineException.conflict(
                "A user with the name \"" + newName + "\" already exists.");
          }
          // CQL cannot rename a role: create the new one with the same password hash (or the new
          // password) and the same keyspaces, then drop the old one.
          String password =
              newPassword != null
                  ? "PASSWORD = " + literal(newPassword)
                  : "HASHED PASSWORD = " + literal(existing.getString(0));
          s.execute(
              "CREATE ROLE "
                  + ident(newName)
                  + " WITH LOGIN = true AND SUPERUSER = false AND "
                  + password);
          for (String db : accessByRole(s).getOrDefault(user.name(), List.of())) {
            s.execute(grant(db, newName));
          }
          s.execute("DROP ROLE " + ident(user.name()));
          return null;
        },
        secrets);
    log.info(
        "cassandra user updated instance={} user={} renamedTo={} passwordChanged={}",
        id(),
        user.name(),
        newName,
        newPassword != null);
  }

  @Override
  public void grantAccess(AccessChange change) {
    changeAccess(change, true);
  }

  @Override
  public void revokeAccess(AccessChange change) {
    changeAccess(change, false);
  }

  private void changeAccess(AccessChange change, boolean grant) {
    UserRef user = change.user();
    UserChecks.requireValidName(descriptor, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    change.databases().forEach(CassandraEngine::checkDatabaseName);
    withAdmin(
        s -> {
          if (!roleExists(s, user.name())) {
            throw UserChecks.notFound(user.name());
          }
          for (String db : change.databases()) {
            if (!keyspaceExists(s, db)) {
              throw EngineException.notFound("Database \"" + db + "\" was not found.");
            }
            s.execute(
                grant
                    ? grant(db, user.name())
                    : "REVOKE ALL PERMISSIONS ON KEYSPACE "
                        + ident(db)
                        + " FROM "
                        + ident(user.name()));
          }
          return null;
        });
    log.info(
        "cassandra access {} instance={} user={} keyspaces={}",
        grant ? "granted" : "revoked",
        id(),
        user.name(),
        change.databases());
  }

  private static String grant(String keyspace, String role) {
    return "GRANT ALL PERMISSIONS ON KEYSPACE " + ident(keyspace) + " TO " + ident(role);
  }

  /** The keyspaces each role holds a permission on. */
  private static Map<String, List<String>> accessByRole(CqlSession s) {
    Map<String, Set<String>> byRole = new HashMap<>();
    for (Row row : s.execute("SELECT role, resource FROM system_auth.role_permissions")) {
      String resource = row.getString(1);
      if (resource != null && resource.startsWith("data/") && resource.indexOf('/', 5) < 0) {
        byRole.computeIfAbsent(row.getString(0), r -> new TreeSet<>()).add(resource.substring(5));
      }
    }
    Map<String, List<String>> result = new HashMap<>();
    byRole.forEach((role, keyspaces) -> result.put(role, List.copyOf(keyspaces)));
    return result;
  }

  private static boolean roleExists(CqlSession s, String role) {
    return s.execute(
                SimpleStatement.newInstance(
                    "SELECT role FROM system_auth.roles WHERE role = ?", role))
            .one()
        != null;
  }

  // ---- root ---------------------------------------------------------------------------------

  @Override
  public RootCredentials enableRoot(Optional<String> password) {
    String rootPassword = password.filter(p -> !p.isEmpty()).orElseGet(() -> Secrets.password(24));
    withAdmin(
        s -> {
          String options =
              " WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = " + literal(rootPassword);
          s.execute(
              (roleExists(s, ROOT_USER) ? "ALTER ROLE " : "CREATE ROLE ")
                  + ident(ROOT_USER)
                  + options);
          return null;
        },
        rootPassword);
    log.info("cassandra root enabled instance={} user={}", id(), ROOT_USER);
    return new RootCredentials(ROOT_USER, rootPassword);
  }

  @Override
  public void disableRoot() {
    withAdmin(s -> s.execute("DROP ROLE IF EXISTS " + ident(ROOT_USER)));
    log.info("cassandra root disabled instance={} user={}", id(), ROOT_USER);
  }

  @Override
  public boolean isRootEnabled() {
    return withAdmin(
        s -> {
          Row row =
              s.execute(
                      SimpleStatement.newInstance(
                          "SELECT can_login FROM system_auth.roles WHERE role = ?", ROOT_USER))
                  .one();
          return row != null && row.getBoolean(0);
        });
  }

  // ---- backups ------------------------------------------------------------------------------

  @Override
  public boolean supportsIncremental() {
    return true;
  }

  @Override
  public BackupManifest backup(Optional<BackupManifest> parent, OutputStream out) {
    return backups.backup(parent, out, userKeyspaces());
  }

  @Override
  public synchronized void restore(List<BackupSource> chain) {
    if (chain.isEmpty()) {
      throw EngineException.badRequest("A restore needs a backup.");
    }
    if (pid().isPresent()) {
      throw EngineException.conflict("cassandra is running; stop it before a restore.");
    }
    backups.stage(chain);
  }

  @Override
  public DataCheck checkData() {
    return backups.checkData(userKeyspaces());
  }

  // ---- configuration groups -----------------------------------------------------------------

  @Override
  public synchronized Set<String> applyConfiguration(Map<String, String> values) {
    for (String name : values.keySet()) {
      if (CassandraParameters.find(name).isEmpty()) {
        throw EngineException.badRequest("Unknown configuration parameter \"" + name + "\".");
      }
    }
    Map<String, String> previous = files.group();
    files.writeGroup(new TreeMap<>(values));
    files.render(context);
    Set<String> restart = new TreeSet<>();
    Set<String> names = new HashSet<>(previous.keySet());
    names.addAll(values.keySet());
    for (String name : names) {
      String before = previous.get(name);
      String after = values.get(name);
      if (java.util.Objects.equals(before, after)) {
        continue;
      }
      CassandraParameters.Parameter parameter = CassandraParameters.find(name).orElseThrow();
      if (parameter.nodetoolSetter().isPresent() && pid().isPresent()) {
        String value = after != null ? after : CassandraParameters.liveDefault(name);
        nodetool.run(parameter.nodetoolSetter().get(), value.strip());
      } else if (parameter.nodetoolSetter().isEmpty()) {
        restart.add(name);
      }
    }
    log.info("cassandra configuration applied instance={} restartRequired={}", id(), restart);
    return restart;
  }

  @Override
  public Map<String, String> currentConfiguration(Set<String> names) {
    return withAdmin(
        s -> {
          Map<String, String> values = new TreeMap<>();
          for (Row row : s.execute("SELECT name, value FROM system_views.settings")) {
            String name = row.getString(0);
            if (names.contains(name)) {
              CassandraParameters.find(name)
                  .ifPresent(p -> values.put(name, p.catalogValue(row.getString(1))));
            }
          }
          return values;
        });
  }

  // ---- guest logs ---------------------------------------------------------------------------

  @Override
  public List<GuestLogFile> guestLogs() {
    return List.of(new GuestLogFile(SYSTEM_LOG, GuestLogType.SYS, files.systemLog(), true));
  }

  @Override
  public void setGuestLog(String name, boolean enabled) {
    throw EngineException.badRequest("Cassandra has no log that can be turned on or off.");
  }

  // ---- clusters -----------------------------------------------------------------------------

  @Override
  public synchronized void configureCluster(ClusterSetup setup) {
    if (pid().isPresent()) {
      throw EngineException.conflict("cassandra is running; stop it before configuring its ring.");
    }
    ensureAgentDir();
    ring.configure(setup);
    files.render(context);
  }

  @Override
  public void formCluster(ClusterSetup setup) {
    ring.form(setup);
  }

  @Override
  public void membersAdded(ClusterSetup setup, List<String> added) {
    ring.membersAdded(setup, added);
  }

  @Override
  public void leaveCluster(ClusterSetup setup) {
    ring.leave(setup);
    closeSession();
  }

  @Override
  public void membersRemoved(ClusterSetup setup, List<String> removed) {
    ring.membersRemoved(setup, removed);
  }

  @Override
  public ClusterStatus clusterStatus() {
    return ring.status();
  }

  // ---- CQL ----------------------------------------------------------------------------------

  /**
   * Runs {@code action} on the admin session (opened once and kept). Driver errors become engine
   * failures whose message never repeats any of {@code secrets}.
   */
  synchronized <T> T withAdmin(Function<CqlSession, T> action, String... secrets) {
    try {
      if (session == null || session.isClosed()) {
        session = connect(ADMIN_USER, adminPassword());
      }
      return action.apply(session);
    } catch (DriverException e) {
      String message = String.valueOf(e.getMessage());
      for (String secret : secrets) {
        message = message.replace(secret, "***");
      }
      throw EngineException.failure("cassandra: " + message);
    }
  }

  private synchronized void closeSession() {
    if (session != null) {
      try {
        session.close();
      } catch (RuntimeException e) {
        log.debug("closing the admin session failed: {}", e.getMessage());
      }
      session = null;
    }
  }

  /** A session that talks to this node only (never to its ring peers). */
  private CqlSession connect(String user, String password) {
    InetSocketAddress self = new InetSocketAddress(context.bindAddress(), context.port());
    DriverConfigLoader config =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
            .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, Duration.ofSeconds(5))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(
                DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(60))
            .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_ONE")
            .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
            .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false)
            .withInt(DefaultDriverOption.CONNECTION_POOL_LOCAL_SIZE, 1)
            .build();
    return CqlSession.builder()
        .addContactPoint(self)
        .withLocalDatacenter(DATACENTER)
        .withAuthCredentials(user, password)
        .withConfigLoader(config)
        .withNodeDistanceEvaluator(
            (node, localDc) ->
                self.equals(node.getEndPoint().resolve()) ? null : NodeDistance.IGNORED)
        .build();
  }

  static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static void checkDatabaseName(String name) {
    CassandraEngineFactory.NAMES
        .violation(name)
        .ifPresent(
            why -> {
              throw EngineException.badRequest("Database name \"" + name + "\" " + why + ".");
            });
    if (SYSTEM_KEYSPACES.contains(name)) {
      throw EngineException.badRequest(
          "Database name \"" + name + "\" is on the reserved list: " + SYSTEM_KEYSPACES + ".");
    }
  }

  private String id() {
    return context.instanceId();
  }

  private void ensureAgentDir() {
    Path agentDir = context.agentDir();
    try {
      if (!Files.isDirectory(agentDir)) {
        Files.createDirectories(agentDir);
        setPermissions(agentDir, "rwx------");
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot create " + agentDir + ": " + e.getMessage(), e);
    }
  }

  String adminPassword() {
    ensureAgentDir();
    return Secrets.readOrCreate(context.agentDir().resolve("admin.secret"));
  }

  private static void setPermissions(Path path, String permissions) {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (IOException e) {
      throw EngineException.failure("cannot set permissions on " + path + ": " + e.getMessage(), e);
    }
  }

  /** The last lines of the console and the errors of the system log: why it did not start. */
  private String startupErrors() {
    List<String> lines = new ArrayList<>();
    for (Path file : List.of(files.consoleLog(), files.systemLog())) {
      try (Stream<String> all = Files.lines(file, StandardCharsets.UTF_8)) {
        List<String> relevant =
            all.filter(l -> !l.isBlank())
                .filter(l -> file.equals(files.consoleLog()) || l.startsWith("ERROR"))
                .toList();
        lines.addAll(relevant.subList(Math.max(0, relevant.size() - 3), relevant.size()));
      } catch (IOException | java.io.UncheckedIOException e) {
        // absent or unreadable: nothing to add
      }
    }
    return lines.isEmpty() ? "no output" : String.join(" | ", lines);
  }

  static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for cassandra", e);
    }
  }
}

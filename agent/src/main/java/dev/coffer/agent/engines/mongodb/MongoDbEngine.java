package dev.coffer.agent.engines.mongodb;

import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.AUTH_DB;
import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.DESCRIPTOR;
import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.NAME;
import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.ROOT_USER;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoCredential;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.connection.ClusterConnectionMode;
import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.engine.UserChecks;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mongod process, run as a one-member replica set with access control on (see {@link
 * MongoDbConfig}). The agent manages it as {@code os_admin} (role {@code root} on {@code admin}),
 * which it creates through MongoDB's localhost exception on the first start: while no user exists,
 * a client connecting from a loopback address may create the first one.
 *
 * <p>Databases: MongoDB creates a database with its first collection and never lists an empty one,
 * so "create database" creates a {@value MongoDbCommands#MARKER_COLLECTION} collection in it; the
 * list is the server's own {@code listDatabases} without {@code admin}, {@code local} and {@code
 * config}. A database a client fills itself therefore shows up too.
 *
 * <p>Users are defined in {@code admin} with {@code readWrite} on each granted database. MongoDB
 * has no host part in user names: only {@code %} is accepted.
 *
 * <p>Replication adds members to the instance's replica set (see {@link MongoDbReplication}); in a
 * set the agent manages mongod as {@code os_repl} instead of {@code os_admin}, since users
 * replicate.
 */
final class MongoDbEngine implements Engine, BackupEngine, ReplicationEngine {
  private static final Logger log = LoggerFactory.getLogger(MongoDbEngine.class);

  static final String BACKUP_FORMAT = "mongodump-archive";
  static final String MONGODB_VERSION = "mongodb_version";

  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration SHUTDOWN_DEADLINE = Duration.ofSeconds(60);
  private static final Duration TOOL_DEADLINE = Duration.ofHours(12);
  private static final int COMMAND_TIMEOUT_SECONDS = 60;

  private static final int USER_NOT_FOUND = 11;
  private static final int NAMESPACE_EXISTS = 48;
  private static final int NOT_YET_INITIALIZED = 94;
  private static final int ALREADY_INITIALIZED = 23;
  private static final int USER_EXISTS = 51003;

  private final EngineContext context;
  private final MongoDbConfig config;

  MongoDbEngine(EngineContext context) {
    this.context = context;
    this.config = MongoDbConfig.of(context);
  }

  private Path configFile() {
    return context.runDir().resolve(MongoDbConfig.FILE_NAME);
  }

  private Path consoleLog() {
    return context.logDir().resolve("mongod.console.log");
  }

  private Path toolsLog() {
    return context.logDir().resolve("mongodb-tools.log");
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Prepares directories, the admin password and the replica set key. The admin account itself
   * needs a running server: {@link #start} creates it.
   */
  @Override
  public synchronized void initialize() {
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
    adminPassword();
    replicaSetKey();
    writeServerFiles();
    setPermissions(context.dataDir(), "rwx------");
    log.info("mongodb initialised dir={}", context.instanceDir());
  }

  @Override
  public synchronized void start() {
    Optional<Long> running = pid();
    if (running.isPresent()) {
      log.info("adopting running mongod pid={}", running.get());
      awaitAnswer(running.get(), false);
      bootstrapOrFail();
      return;
    }
    writeServerFiles();
    try {
      Files.deleteIfExists(config.pidFile());
    } catch (IOException e) {
      throw EngineException.failure("cannot remove stale pid file: " + e.getMessage(), e);
    }
    Process process =
        OsProcesses.spawn(
            List.of(context.binary("server"), "--config", configFile().toString()),
            context.runAsUser(),
            consoleLog(),
            Map.of());
    log.info(
        "mongod started pid={} address={}:{}",
        process.pid(),
        context.bindAddress(),
        context.port());
    awaitAnswer(process.pid(), true);
    bootstrapOrFail();
  }

  /**
   * The config file and the key file copy mongod reads, rewritten before every start; the run
   * directory goes to the engine user afterwards (mongod insists on owning its key file).
   */
  private void writeServerFiles() {
    writeFile(configFile(), config.render(), "rw-r--r--");
    writeFile(config.keyFile(), replicaSetKey() + "\n", "r--------");
    OsProcesses.ownedDirectories(
        context.runAsUser(), context.dataDir(), context.runDir(), context.logDir());
  }

  private void bootstrapOrFail() {
    try {
      bootstrap();
    } catch (MongoException e) {
      throw failure(e, new String[] {agentPassword()}, "start");
    }
  }

  /**
   * Brings a server that answers to its working state: replica set initiated, this node primary,
   * the agent's account present. Each step is skipped when already done, so this also finishes a
   * first start that an agent crash interrupted.
   */
  private void bootstrap() {
    if (isSetMember()) {
      // A member of a larger set: its set exists, it may be a secondary, its users come from the
      // set (see MongoDbReplication).
      return;
    }
    boolean adminExists = adminCanLogIn();
    Function<Function<MongoClient, Document>, Document> session =
        adminExists ? this::asAdmin : this::throughLocalhostException;
    Document hello = session.apply(c -> run(c, AUTH_DB, MongoDbCommands.hello()));
    if (!hello.containsKey("setName")) {
      try {
        session.apply(
            c ->
                run(
                    c,
                    AUTH_DB,
                    MongoDbCommands.replSetInitiate(
                        config.replicaSet(), context.bindAddress(), context.port())));
        log.info("mongodb replica set initiated set={}", config.replicaSet());
      } catch (MongoCommandException e) {
        if (e.getErrorCode() != ALREADY_INITIALIZED) {
          throw failure("replSetInitiate", e);
        }
      }
    }
    awaitPrimary(session);
    if (!adminExists) {
      throughLocalhostException(c -> run(c, AUTH_DB, MongoDbCommands.createAdmin(adminPassword())));
      log.info("mongodb admin account created user={}", ADMIN_USER);
    }
  }

  private boolean adminCanLogIn() {
    try {
      asAdmin(c -> run(c, AUTH_DB, MongoDbCommands.ping()));
      return true;
    } catch (MongoSecurityException e) {
      return false; // no user yet: the localhost exception applies
    }
  }

  private void awaitPrimary(Function<Function<MongoClient, Document>, Document> session) {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (true) {
      Document hello = session.apply(c -> run(c, AUTH_DB, MongoDbCommands.hello()));
      if (Boolean.TRUE.equals(hello.getBoolean("isWritablePrimary"))) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "mongod did not become primary of its replica set within "
                + START_DEADLINE.toSeconds()
                + " s");
      }
      pause(Duration.ofMillis(100));
    }
  }

  @Override
  public synchronized void stop() {
    Optional<Long> running = pid();
    if (running.isEmpty()) {
      return;
    }
    long pid = running.get();
    try {
      asAdmin(c -> run(c, AUTH_DB, MongoDbCommands.shutdown()));
    } catch (MongoException e) {
      // The server closes the connection while it shuts down: an error is expected either way.
      log.debug("mongodb shutdown answered pid={} error={}", pid, e.getMessage());
    } catch (RuntimeException e) {
      log.warn("mongodb shutdown failed, sending SIGTERM pid={} error={}", pid, e.getMessage());
    }
    if (!OsProcesses.waitForExit(pid, SHUTDOWN_DEADLINE)) {
      // SIGTERM is mongod's own clean shutdown too.
      log.warn("mongod did not exit after shutdown, terminating pid={}", pid);
      OsProcesses.terminate(pid, SHUTDOWN_DEADLINE);
    }
    log.info("mongod stopped pid={}", pid);
  }

  @Override
  public boolean isHealthy() {
    try {
      return pid().isPresent() && asAdmin(c -> run(c, AUTH_DB, MongoDbCommands.ping())) != null;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The PID in mongod's pid file, if that process is alive and is a mongod. */
  @Override
  public Optional<Long> pid() {
    return OsProcesses.readPid(config.pidFile())
        .filter(
            pid ->
                ProcessHandle.of(pid)
                    .filter(h -> OsProcesses.isAlive(h.pid()))
                    // Guards against a reused PID; unknown when the OS will not tell us.
                    .map(h -> h.info().command().map(c -> c.contains("mongod")).orElse(true))
                    .orElse(false));
  }

  /**
   * Waits until mongod answers {@code hello} (which needs no login). A process started here is
   * killed if it never answers, so a failed start leaves nothing behind.
   */
  private void awaitAnswer(long pid, boolean startedHere) {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    String lastError = "no answer";
    while (System.nanoTime() < deadline) {
      if (!OsProcesses.isAlive(pid)) {
        throw EngineException.failure("mongod exited during start-up: " + startupErrors());
      }
      try {
        throughLocalhostException(c -> run(c, AUTH_DB, MongoDbCommands.hello()));
        return;
      } catch (MongoException e) {
        lastError = e.getMessage();
      }
      pause(Duration.ofMillis(100));
    }
    if (startedHere) {
      OsProcesses.terminate(pid, Duration.ofSeconds(10));
    }
    throw EngineException.failure(
        "mongod did not accept connections within "
            + START_DEADLINE.toSeconds()
            + " s: "
            + lastError);
  }

  // ---- databases ----------------------------------------------------------------------------

  @Override
  public void createDatabase(DatabaseSpec database) {
    String name = database.name();
    checkDatabaseName(name);
    if (database.characterSet() != null || database.collate() != null) {
      throw EngineException.badRequest(
          "MongoDB databases have no character set or collation (collations are per collection).");
    }
    admin(
        c -> {
          try {
            run(c, name, MongoDbCommands.createMarker());
          } catch (MongoCommandException e) {
            if (e.getErrorCode() != NAMESPACE_EXISTS) {
              throw e;
            }
          }
          return null;
        });
    log.info("mongodb database created database={}", name);
  }

  @Override
  public void deleteDatabase(String name) {
    checkDatabaseName(name);
    admin(
        c -> {
          if (!databaseNames(c).contains(name)) {
            throw EngineException.notFound("Database \"" + name + "\" was not found.");
          }
          return run(c, name, MongoDbCommands.dropDatabase());
        });
    log.info("mongodb database deleted database={}", name);
  }

  @Override
  public List<DatabaseSpec> listDatabases() {
    return admin(c -> databaseNames(c).stream().map(DatabaseSpec::named).toList());
  }

  private List<String> databaseNames(MongoClient c) {
    return run(c, AUTH_DB, MongoDbCommands.listDatabases())
        .getList("databases", Document.class)
        .stream()
        .map(d -> d.getString("name"))
        .filter(n -> !DESCRIPTOR.reservedDatabases().contains(n))
        .sorted()
        .toList();
  }

  // ---- users --------------------------------------------------------------------------------

  @Override
  public void createUser(UserSpec user) {
    UserChecks.requireValidName(DESCRIPTOR, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    user.databases().forEach(this::checkDatabaseName);
    String password = UserChecks.requirePassword(user.password());
    admin(
        c -> {
          if (findUser(c, user.name()).isPresent()) {
            throw UserChecks.alreadyExists(user.name());
          }
          try {
            return run(
                c,
                AUTH_DB,
                MongoDbCommands.createClientUser(user.name(), password, user.databases()));
          } catch (MongoCommandException e) {
            if (e.getErrorCode() == USER_EXISTS) {
              throw UserChecks.alreadyExists(user.name());
            }
            throw e;
          }
        },
        password);
    log.info("mongodb user created user={} databases={}", user.name(), user.databases());
  }

  @Override
  public void deleteUser(UserRef user) {
    UserChecks.requireValidName(DESCRIPTOR, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    admin(
        c -> {
          try {
            return run(c, AUTH_DB, MongoDbCommands.dropUser(user.name()));
          } catch (MongoCommandException e) {
            if (e.getErrorCode() == USER_NOT_FOUND) {
              throw UserChecks.notFound(user.name());
            }
            throw e;
          }
        });
    log.info("mongodb user deleted user={}", user.name());
  }

  @Override
  public List<UserInfo> listUsers() {
    return admin(
        c ->
            run(c, AUTH_DB, MongoDbCommands.usersInfo()).getList("users", Document.class).stream()
                .filter(u -> AUTH_DB.equals(u.getString("db")))
                .filter(u -> !isReserved(u.getString("user")))
                .map(MongoDbEngine::info)
                .sorted(Comparator.comparing(UserInfo::name))
                .toList());
  }

  @Override
  public Optional<UserInfo> findUser(UserRef user) {
    if (isReserved(user.name())
        || MongoDbEngineFactory.USER_NAMES.violation(user.name()).isPresent()
        || !"%".equals(user.host())) {
      return Optional.empty();
    }
    return admin(c -> findUser(c, user.name()).map(MongoDbEngine::info));
  }

  private static Optional<Document> findUser(MongoClient c, String name) {
    return run(c, AUTH_DB, MongoDbCommands.usersInfo(name))
        .getList("users", Document.class)
        .stream()
        .findFirst();
  }

  /**
   * A new password is set with {@code updateUser}. MongoDB cannot rename a user, and its
   * SCRAM-SHA-1 credential is derived from the name, so a rename needs a new password: the user is
   * created under the new name with the same roles, then the old one is dropped.
   */
  @Override
  public void updateUser(UserUpdate update) {
    UserRef user = update.user();
    UserChecks.requireValidName(DESCRIPTOR, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    if (update.newHost() != null) {
      UserChecks.requireNoHost(update.newHost(), NAME);
    }
    String newName =
        update.newName() == null || update.newName().equals(user.name()) ? null : update.newName();
    if (newName != null) {
      UserChecks.requireValidName(DESCRIPTOR, newName);
    }
    String newPassword =
        update.newPassword() == null ? null : UserChecks.requirePassword(update.newPassword());
    if (newName != null && newPassword == null) {
      throw EngineException.badRequest(
          "MongoDB cannot rename a user without a new password: give the new name a password.");
    }
    String[] secrets = newPassword == null ? new String[0] : new String[] {newPassword};
    admin(
        c -> {
          Document existing =
              findUser(c, user.name()).orElseThrow(() -> UserChecks.notFound(user.name()));
          if (newName != null) {
            if (findUser(c, newName).isPresent()) {
              throw UserChecks.alreadyExists(newName);
            }
            List<Document> roles =
                existing.getList("roles", Document.class).stream()
                    .map(r -> MongoDbCommands.role(r.getString("role"), r.getString("db")))
                    .toList();
            run(c, AUTH_DB, MongoDbCommands.createUser(newName, newPassword, roles));
            run(c, AUTH_DB, MongoDbCommands.dropUser(user.name()));
          } else if (newPassword != null) {
            run(c, AUTH_DB, MongoDbCommands.updateUser(user.name(), newPassword, null));
          }
          return null;
        },
        secrets);
    log.info(
        "mongodb user updated user={} renamedTo={} passwordChanged={}",
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
    UserChecks.requireValidName(DESCRIPTOR, user.name());
    UserChecks.requireNoHost(user.host(), NAME);
    change.databases().forEach(this::checkDatabaseName);
    if (change.databases().isEmpty()) {
      return;
    }
    admin(
        c -> {
          if (findUser(c, user.name()).isEmpty()) {
            throw UserChecks.notFound(user.name());
          }
          if (grant) {
            List<String> existing = databaseNames(c);
            for (String db : change.databases()) {
              if (!existing.contains(db)) {
                throw EngineException.notFound("Database \"" + db + "\" was not found.");
              }
            }
          }
          return run(
              c,
              AUTH_DB,
              grant
                  ? MongoDbCommands.grantRolesToUser(user.name(), change.databases())
                  : MongoDbCommands.revokeRolesFromUser(user.name(), change.databases()));
        });
    log.info(
        "mongodb access {} user={} databases={}",
        grant ? "granted" : "revoked",
        user.name(),
        change.databases());
  }

  // ---- root ---------------------------------------------------------------------------------

  @Override
  public RootCredentials enableRoot(Optional<String> password) {
    String rootPassword = password.filter(p -> !p.isEmpty()).orElseGet(() -> Secrets.password(24));
    admin(
        c -> {
          if (findUser(c, ROOT_USER).isPresent()) {
            return run(
                c,
                AUTH_DB,
                MongoDbCommands.updateUser(
                    ROOT_USER,
                    rootPassword,
                    List.of(MongoDbCommands.role(MongoDbCommands.ROOT_ROLE, AUTH_DB))));
          }
          return run(c, AUTH_DB, MongoDbCommands.createRoot(ROOT_USER, rootPassword));
        },
        rootPassword);
    log.info("mongodb root enabled user={}", ROOT_USER);
    return new RootCredentials(ROOT_USER, rootPassword);
  }

  @Override
  public void disableRoot() {
    admin(
        c -> {
          try {
            return run(c, AUTH_DB, MongoDbCommands.dropUser(ROOT_USER));
          } catch (MongoCommandException e) {
            if (e.getErrorCode() == USER_NOT_FOUND) {
              return null;
            }
            throw e;
          }
        });
    log.info("mongodb root disabled user={}", ROOT_USER);
  }

  @Override
  public boolean isRootEnabled() {
    return admin(c -> findUser(c, ROOT_USER).isPresent());
  }

  // ---- backups ------------------------------------------------------------------------------

  @Override
  public boolean supportsIncremental() {
    return false;
  }

  /**
   * {@code mongodump --archive --oplog} streamed straight from the tool's stdout to {@code out}.
   */
  @Override
  public BackupManifest backup(Optional<BackupManifest> parent, OutputStream out) {
    if (parent.isPresent()) {
      throw EngineException.unsupported("incremental backup", NAME);
    }
    String version = admin(c -> run(c, AUTH_DB, MongoDbCommands.buildInfo())).getString("version");
    List<String> command = tools(agentUser(), agentPassword()).dumpCommand(tool("mongodump"));
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.appendTo(toolsLog().toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      long bytes;
      try (InputStream archive = process.getInputStream()) {
        bytes = archive.transferTo(out);
      } catch (IOException e) {
        process.destroyForcibly();
        throw e;
      }
      awaitTool(process, "mongodump");
      out.flush();
      log.info("mongodb backup written bytes={}", bytes);
      return new BackupManifest(BACKUP_FORMAT, Map.of(MONGODB_VERSION, version));
    } catch (IOException e) {
      throw EngineException.failure("mongodb backup: cannot stream the dump: " + e.getMessage(), e);
    }
  }

  /**
   * Replaces the stopped instance's data and users with the backup's: an empty data directory is
   * started (which creates this instance's {@code os_admin}), {@code mongorestore --oplogReplay}
   * loads the archive, then the server is stopped again for the caller to start. Access control
   * stays on throughout.
   *
   * <p>The backup holds the source's {@code os_admin} too. Without {@code --drop}, mongorestore
   * merges the backup's users with {@code _mergeAuthzCollections} and {@code drop: false}, which
   * adds the users that do not exist and leaves existing ones untouched: this instance keeps its
   * own {@code os_admin} password, and the agent checks that it still logs in.
   */
  @Override
  public synchronized void restore(List<BackupSource> chain) {
    if (chain.isEmpty()) {
      throw EngineException.badRequest("A restore needs a backup.");
    }
    if (chain.size() > 1) {
      throw EngineException.unsupported("incremental backup", NAME);
    }
    BackupSource source = chain.get(0);
    if (!BACKUP_FORMAT.equals(source.manifest().format())) {
      throw EngineException.badRequest(
          "A backup in format '"
              + source.manifest().format()
              + "' cannot be restored into mongodb.");
    }
    if (pid().isPresent()) {
      throw EngineException.conflict("mongod is running; stop it before a restore.");
    }
    String mongorestore = tool("mongorestore");
    emptyDataDirectory();
    start();
    try {
      runRestore(tools(agentUser(), agentPassword()).restoreCommand(mongorestore), source);
      if (!adminCanLogIn()) {
        throw EngineException.failure(
            "mongodb restore: the agent's account no longer logs in after mongorestore");
      }
      log.info(
          "mongodb restored sourceVersion={}", source.manifest().position().get(MONGODB_VERSION));
    } finally {
      stop();
    }
  }

  private void runRestore(List<String> command, BackupSource source) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(toolsLog().toFile()))
              .start();
      try (InputStream in = source.open();
          OutputStream stdin = process.getOutputStream()) {
        in.transferTo(stdin);
      } catch (IOException e) {
        // mongorestore may have stopped reading because it failed: report its own reason.
        awaitTool(process, "mongorestore");
        throw e;
      }
      awaitTool(process, "mongorestore");
    } catch (IOException e) {
      throw EngineException.failure("mongodb restore: " + e.getMessage(), e);
    }
  }

  /**
   * Every collection's {@code validate} (full) and its document count, over the user databases: a
   * restore drill on a scratch instance.
   */
  @Override
  public DataCheck checkData() {
    return admin(
        c -> {
          boolean consistent = true;
          long documents = 0;
          int collections = 0;
          List<String> invalid = new ArrayList<>();
          for (String db : databaseNames(c)) {
            // The driver follows the cursor past the first batch.
            for (Document coll :
                c.getDatabase(db).listCollections().filter(MongoDbCommands.collectionsOnly())) {
              String name = coll.getString("name");
              if (name.startsWith("system.")) {
                continue;
              }
              collections++;
              Document result = run(c, db, MongoDbCommands.validate(name));
              if (!Boolean.TRUE.equals(result.getBoolean("valid"))) {
                consistent = false;
                invalid.add(db + "." + name);
              }
              documents +=
                  run(c, db, MongoDbCommands.count(name)).get("n", Number.class).longValue();
            }
          }
          String detail =
              consistent
                  ? "validate (full) passed on " + collections + " collections"
                  : "validate (full) failed on " + String.join(", ", invalid);
          return new DataCheck(consistent, documents, detail);
        });
  }

  // ---- replication (see MongoDbReplication) -------------------------------------------------

  private static final Duration SYNC_DEADLINE = Duration.ofMinutes(10);
  private static final Duration ROLE_DEADLINE = Duration.ofSeconds(60);

  @Override
  public boolean seedsFromBackup() {
    return false;
  }

  /**
   * Creates (or re-keys) {@code os_repl}, makes it the agent's account, and derives the set's key
   * file from the replication password. The first time, the key differs from the instance's own
   * random one and mongod restarts to read it.
   */
  @Override
  public synchronized Map<String, String> prepareSource(SourceRequest request) {
    String password = replicationPassword(request.credentials());
    admin(
        c -> {
          boolean exists =
              !run(c, AUTH_DB, MongoDbCommands.usersInfo(MongoDbReplication.REPLICATION_USER))
                  .getList("users", Document.class)
                  .isEmpty();
          return run(
              c,
              AUTH_DB,
              exists
                  ? MongoDbReplication.updateReplicationUser(password)
                  : MongoDbReplication.createReplicationUser(password));
        },
        password);
    writeFile(replicationSecretFile(), password + "\n", "rw-------");
    if (writeSetKey(password) && pid().isPresent()) {
      log.info("mongodb restarts once to read the replica set's shared key file");
      stop();
      start();
    }
    log.info("mongodb ready as a source replica={}", request.replicaId());
    return Map.of("replica_set", config.replicaSet());
  }

  /** With mongod stopped: the set's key and the agent's account in the set; same set name. */
  @Override
  public synchronized void configureReplica(ReplicaSetup setup) {
    String password = replicationPassword(setup.credentials());
    writeFile(replicationSecretFile(), password + "\n", "rw-------");
    writeSetKey(password);
    writeServerFiles();
    log.info("mongodb configured as a replica of {}", setup.sourceId());
  }

  /** Joins the source's set as a voting secondary, then waits for the initial sync's end. */
  @Override
  public synchronized void startReplica(ReplicaSetup setup) {
    join(setup);
    awaitState(MongoDbReplication.STATE_SECONDARY, SYNC_DEADLINE);
    log.info("mongodb is a secondary of {}", setup.sourceId());
  }

  private void join(ReplicaSetup setup) {
    String password = replicationPassword(setup.credentials());
    onMember(
        setup.sourceHost(),
        setup.sourcePort(),
        password,
        c -> {
          Document current = run(c, AUTH_DB, MongoDbReplication.replSetGetConfig());
          MongoDbReplication.withMember(
                  current.get("config", Document.class), selfHost(), context.instanceId())
              .ifPresent(
                  next -> {
                    run(c, AUTH_DB, MongoDbReplication.replSetReconfig(next, false));
                    log.info("mongodb member added to the set host={}", selfHost());
                  });
          return null;
        });
  }

  @Override
  public Optional<EngineMetrics> metrics() {
    return Optional.of(
        MongoDbCommands.metrics(admin(c -> run(c, AUTH_DB, MongoDbCommands.serverStatus()))));
  }

  @Override
  public ReplicationStatus replicationStatus() {
    Document status = admin(c -> run(c, AUTH_DB, MongoDbCommands.replSetGetStatus()));
    return MongoDbReplication.status(status, Files.exists(fenceFile()));
  }

  /**
   * Stands for election ({@code replSetStepUp}), after giving this member the highest priority on a
   * reachable primary. When the election cannot be won (no majority left, the primary gone), a
   * forced reconfiguration keeps only the healthy members. Once primary, the member keeps the
   * highest priority, so that the set does not elect another one back.
   */
  @Override
  public synchronized void promote() {
    Document status = admin(c -> run(c, AUTH_DB, MongoDbCommands.replSetGetStatus()));
    if (status.get("myState", Number.class).intValue() != MongoDbReplication.STATE_PRIMARY) {
      admin(c -> run(c, AUTH_DB, MongoDbReplication.freeze(0)));
      Optional<Document> primary = MongoDbReplication.primary(status);
      boolean preferred = primary.isPresent() && preferSelfOn(primary.get().getString("name"));
      if (!stepUp() && !preferred) {
        Document current =
            admin(c -> run(c, AUTH_DB, MongoDbReplication.replSetGetConfig()))
                .get("config", Document.class);
        Document forced = MongoDbReplication.forcedFor(current, status, selfHost());
        admin(c -> run(c, AUTH_DB, MongoDbReplication.replSetReconfig(forced, true)));
        log.warn("mongodb forced a reconfiguration without the unreachable members");
      }
      awaitState(MongoDbReplication.STATE_PRIMARY, ROLE_DEADLINE);
    }
    admin(
        c -> {
          Document current =
              run(c, AUTH_DB, MongoDbReplication.replSetGetConfig()).get("config", Document.class);
          MongoDbReplication.withPreferred(current, selfHost())
              .ifPresent(next -> run(c, AUTH_DB, MongoDbReplication.replSetReconfig(next, false)));
          return null;
        });
    deleteFenceFile();
    log.info("mongodb promoted to primary");
  }

  /** Whether this member won (or is holding) an election; false when it cannot. */
  private boolean stepUp() {
    try {
      admin(c -> run(c, AUTH_DB, MongoDbReplication.stepUp()));
      return true;
    } catch (EngineException e) {
      log.info("mongodb replSetStepUp refused: {}", e.getMessage());
      return false;
    }
  }

  /** Whether the primary took this member as its preferred one; false when it is unreachable. */
  private boolean preferSelfOn(String primaryName) {
    int colon = primaryName.lastIndexOf(':');
    try {
      onMember(
          primaryName.substring(0, colon),
          Integer.parseInt(primaryName.substring(colon + 1)),
          agentPassword(),
          c -> {
            Document current =
                run(c, AUTH_DB, MongoDbReplication.replSetGetConfig())
                    .get("config", Document.class);
            MongoDbReplication.withPreferred(current, selfHost())
                .ifPresent(
                    next -> run(c, AUTH_DB, MongoDbReplication.replSetReconfig(next, false)));
            return null;
          });
      return true;
    } catch (EngineException e) {
      log.warn("mongodb primary {} unreachable: {}", primaryName, e.getMessage());
      return false;
    }
  }

  /** Steps down (if primary) and freezes: the set elects this member no more. */
  @Override
  public synchronized void fence() {
    writeFile(fenceFile(), "fenced\n", "rw-------");
    Document status = admin(c -> run(c, AUTH_DB, MongoDbCommands.replSetGetStatus()));
    if (status.get("myState", Number.class).intValue() == MongoDbReplication.STATE_PRIMARY) {
      try {
        admin(c -> run(c, AUTH_DB, MongoDbReplication.stepDown()));
      } catch (EngineException e) {
        log.debug("mongodb stepDown answered: {}", e.getMessage());
      }
      awaitState(MongoDbReplication.STATE_SECONDARY, ROLE_DEADLINE);
    }
    admin(c -> run(c, AUTH_DB, MongoDbReplication.freeze(MongoDbReplication.FENCE_FREEZE_SECONDS)));
    log.info("mongodb fenced: stepped down and frozen");
  }

  /** The set finds its primary itself: this only makes sure of the membership and lifts a fence. */
  @Override
  public synchronized void repoint(ReplicaSetup setup) {
    join(setup);
    try {
      admin(c -> run(c, AUTH_DB, MongoDbReplication.freeze(0)));
    } catch (EngineException e) {
      log.debug("mongodb unfreeze answered: {}", e.getMessage());
    }
    deleteFenceFile();
    log.info("mongodb repointed to {}", setup.sourceId());
  }

  @Override
  public synchronized void releaseReplica(String replicaId) {
    admin(
        c -> {
          Document current =
              run(c, AUTH_DB, MongoDbReplication.replSetGetConfig()).get("config", Document.class);
          MongoDbReplication.withoutInstance(current, replicaId)
              .ifPresent(next -> run(c, AUTH_DB, MongoDbReplication.replSetReconfig(next, false)));
          return null;
        });
    log.info("mongodb member released replica={}", replicaId);
  }

  private void awaitState(int state, Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    String last = "no answer";
    while (System.nanoTime() < end) {
      try {
        // Before its initial sync a new member has no users yet: logging in fails until then.
        Document status = asAdmin(c -> run(c, AUTH_DB, MongoDbCommands.replSetGetStatus()));
        if (status.get("myState", Number.class).intValue() == state) {
          return;
        }
        last = "state " + status.get("myState");
      } catch (MongoException e) {
        last = e.getClass().getSimpleName();
      }
      pause(Duration.ofMillis(250));
    }
    throw EngineException.failure(
        "mongodb did not reach replica set state "
            + state
            + " within "
            + deadline.toSeconds()
            + " s ("
            + last
            + ")");
  }

  private <T> T onMember(String host, int port, String password, Function<MongoClient, T> action) {
    MongoCredential credential =
        MongoCredential.createCredential(
            MongoDbReplication.REPLICATION_USER, AUTH_DB, password.toCharArray());
    try (MongoClient client = MongoClients.create(settings(credential, host, port))) {
      return action.apply(client);
    } catch (MongoException e) {
      throw failure(e, new String[] {password}, "member " + host + ":" + port);
    }
  }

  private static String replicationPassword(ReplicationCredentials credentials) {
    if (!MongoDbReplication.REPLICATION_USER.equals(credentials.user())) {
      throw EngineException.badRequest(
          "The replication account of mongodb is " + MongoDbReplication.REPLICATION_USER + ".");
    }
    MongoDbReplication.keyFromPassword(credentials.password()); // checks it is not empty
    return credentials.password();
  }

  /** Writes the set's key; true when it changed (a running mongod then needs a restart). */
  private boolean writeSetKey(String password) {
    String key = MongoDbReplication.keyFromPassword(password);
    Path file = context.agentDir().resolve("replica-set.key");
    if (Files.exists(file) && key.equals(replicaSetKey())) {
      return false;
    }
    writeFile(file, key + "\n", "rw-------");
    return true;
  }

  private String selfHost() {
    return context.bindAddress() + ":" + context.port();
  }

  private Path replicationSecretFile() {
    return context.agentDir().resolve("replication.secret");
  }

  private Path fenceFile() {
    return context.agentDir().resolve("fenced");
  }

  private void deleteFenceFile() {
    try {
      Files.deleteIfExists(fenceFile());
    } catch (IOException e) {
      throw EngineException.failure("cannot remove " + fenceFile() + ": " + e.getMessage(), e);
    }
  }

  /** Whether this instance is a member of a replication set (a source or a replica). */
  private boolean isSetMember() {
    return Files.exists(replicationSecretFile());
  }

  /**
   * {@code os_repl} in a replication set (users replicate, see MongoDbReplication), else os_admin.
   */
  private String agentUser() {
    return isSetMember() ? MongoDbReplication.REPLICATION_USER : ADMIN_USER;
  }

  private String agentPassword() {
    return isSetMember() ? secret("replication.secret") : adminPassword();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private MongoDbTools tools(String user, String password) {
    Path file = context.agentDir().resolve("mongodb-tools.yaml");
    MongoDbTools.writeConfig(file, password);
    return new MongoDbTools(context.bindAddress(), context.port(), user, file);
  }

  private String tool(String name) {
    String path = context.binaries().get(name);
    if (path == null) {
      throw EngineException.failure(
          "no '"
              + name
              + "' registered for this mongodb version: install the MongoDB database"
              + " tools beside mongod or on the PATH, then register the version again");
    }
    return path;
  }

  private void awaitTool(Process process, String name) throws IOException {
    try {
      if (!process.waitFor(TOOL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw EngineException.failure(
            name + " did not finish within " + TOOL_DEADLINE.toHours() + " h");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while " + name + " ran", e);
    }
    if (process.exitValue() != 0) {
      throw EngineException.failure(
          name + " failed with exit code " + process.exitValue() + ": " + lastLines(toolsLog()));
    }
  }

  private void emptyDataDirectory() {
    try (Stream<Path> entries = Files.list(context.dataDir())) {
      for (Path entry : entries.toList()) {
        try (Stream<Path> tree = Files.walk(entry)) {
          for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw EngineException.failure("mongodb restore: cannot empty the data directory: " + e, e);
    }
  }

  private static UserInfo info(Document user) {
    List<String> databases =
        user.getList("roles", Document.class).stream()
            .filter(r -> MongoDbCommands.USER_ROLE.equals(r.getString("role")))
            .map(r -> r.getString("db"))
            .filter(db -> !DESCRIPTOR.reservedDatabases().contains(db))
            .sorted()
            .toList();
    return new UserInfo(user.getString("user"), "%", databases);
  }

  private static boolean isReserved(String name) {
    return DESCRIPTOR.reservedUsers().contains(name);
  }

  private void checkDatabaseName(String name) {
    MongoDbEngineFactory.DATABASE_NAMES
        .violation(name)
        .ifPresent(
            why -> {
              throw EngineException.badRequest("Database name \"" + name + "\" " + why + ".");
            });
    if (DESCRIPTOR.reservedDatabases().contains(name)) {
      throw EngineException.badRequest(
          "Database name \""
              + name
              + "\" is on the reserved list: "
              + DESCRIPTOR.reservedDatabases()
              + ".");
    }
  }

  private static Document run(MongoClient client, String database, Document command) {
    return client.getDatabase(database).runCommand(command);
  }

  /**
   * Runs {@code action} as {@code os_admin}. Driver errors become engine failures whose message
   * never repeats any of {@code secrets}.
   */
  private <T> T admin(Function<MongoClient, T> action, String... secrets) {
    return withClient(agentUser(), agentPassword(), action, secrets);
  }

  private <T> T withClient(
      String user, String password, Function<MongoClient, T> action, String... secrets) {
    try {
      return asUser(user, password, action);
    } catch (EngineException e) {
      throw e;
    } catch (MongoException e) {
      throw failure(e, secrets);
    }
  }

  private static EngineException failure(String what, MongoException e) {
    return failure(e, new String[0], what);
  }

  private static EngineException failure(MongoException e, String[] secrets, String... what) {
    String message = String.valueOf(e.getMessage());
    for (String secret : secrets) {
      message = message.replace(secret, "***");
    }
    return EngineException.failure("mongodb: " + (what.length > 0 ? what[0] + ": " : "") + message);
  }

  /** Raw driver errors pass through: callers tell a failed login from other failures. */
  private Document asAdmin(Function<MongoClient, Document> action) {
    return asUser(agentUser(), agentPassword(), action);
  }

  /** No login: only {@code hello}, and the first user's creation, are allowed this way. */
  private Document throughLocalhostException(Function<MongoClient, Document> action) {
    try (MongoClient client = MongoClients.create(settings(null))) {
      return action.apply(client);
    }
  }

  private <T> T asUser(String user, String password, Function<MongoClient, T> action) {
    MongoCredential credential =
        MongoCredential.createCredential(user, AUTH_DB, password.toCharArray());
    try (MongoClient client = MongoClients.create(settings(credential))) {
      return action.apply(client);
    }
  }

  /** A direct connection to this one server, whatever its replica set role. */
  private MongoClientSettings settings(MongoCredential credential) {
    return settings(credential, context.bindAddress(), context.port());
  }

  private static MongoClientSettings settings(MongoCredential credential, String host, int port) {
    MongoClientSettings.Builder builder =
        MongoClientSettings.builder()
            .applyToClusterSettings(
                b ->
                    b.hosts(List.of(new ServerAddress(host, port)))
                        .mode(ClusterConnectionMode.SINGLE)
                        .serverSelectionTimeout(5, TimeUnit.SECONDS))
            .applyToSocketSettings(b -> b.connectTimeout(2, TimeUnit.SECONDS))
            .timeout(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (credential != null) {
      builder.credential(credential);
    }
    return builder.build();
  }

  private String adminPassword() {
    return secret("admin.secret");
  }

  /** The replica set's internal key; the agent directory holds the original. */
  private String replicaSetKey() {
    return secret("replica-set.key");
  }

  private String secret(String file) {
    Path agentDir = context.agentDir();
    try {
      if (!Files.isDirectory(agentDir)) {
        Files.createDirectories(agentDir);
        setPermissions(agentDir, "rwx------");
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot create " + agentDir + ": " + e.getMessage(), e);
    }
    return Secrets.readOrCreate(agentDir.resolve(file));
  }

  private static void writeFile(Path file, String content, String permissions) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(permissions));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static void setPermissions(Path path, String permissions) {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (IOException e) {
      throw EngineException.failure("cannot set permissions on " + path + ": " + e.getMessage(), e);
    }
  }

  private String startupErrors() {
    List<String> lines = new ArrayList<>();
    for (Path file : List.of(consoleLog(), config.logFile())) {
      lines.add(lastLines(file));
    }
    return String.join(" | ", lines);
  }

  /** The last lines of a log (mongod's own log is JSON, one line per event). */
  private static String lastLines(Path file) {
    try (Stream<String> all = Files.lines(file, StandardCharsets.UTF_8)) {
      List<String> nonBlank = all.filter(l -> !l.isBlank()).toList();
      String tail =
          String.join(" | ", nonBlank.subList(Math.max(0, nonBlank.size() - 3), nonBlank.size()));
      return tail.length() <= 1200 ? tail : "…" + tail.substring(tail.length() - 1200);
    } catch (IOException | UncheckedIOException e) {
      return "no output";
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for mongod", e);
    }
  }
}

package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.ClusterEngine;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.DataVersion;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.agent.engine.GuestLogSettings;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.engine.UpgradableEngine;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
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
import dev.coffer.api.datastores.NameRule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MariaDB (or, with {@link MySqlDialect}, MySQL) server of one instance.
 *
 * <p>The agent manages the server through its own account {@code os_admin}, reached over TCP on the
 * instance's address (loopback clients arrive from 127.0.0.1) or over the socket. The account is
 * (re)created from {@code --init-file} on every start, so a tenant with root who drops or changes
 * it loses nothing permanent; the file exists only while the server starts.
 *
 * <p>A data directory counts as initialised once {@value #INITIALIZED_MARKER} is written in it,
 * after the data-directory tool succeeded; anything else found there is the remains of an
 * interrupted initialisation and is replaced.
 */
final class MariaDbEngine
    implements Engine,
        BackupEngine,
        ReplicationEngine,
        ConfigurableEngine,
        GuestLogEngine,
        UpgradableEngine,
        ClusterEngine {
  static final String ADMIN_USER = "os_admin";
  static final String ROOT_USER = "root";
  static final String INITIALIZED_MARKER = ".coffer-initialized";

  /** Roles of the backup executables in {@link EngineContext#binaries()}; both optional. */
  static final String BACKUP_TOOL = "backup";

  static final String STREAM_TOOL = "mbstream";

  /** Roles of the tools replaying the binary log for point-in-time recovery; both optional. */
  static final String BINLOG_TOOL = "binlog";

  static final String CLIENT_TOOL = "client";

  /** {@link BackupManifest#format()} of mariadb-backup's xbstream output. */
  static final String BACKUP_FORMAT = "mbstream";

  // keys of BackupManifest#position()
  static final String BACKUP_TYPE = "backup_type";
  static final String FROM_LSN = "from_lsn";
  static final String TO_LSN = "to_lsn";
  static final String BINLOG_FILE = "binlog_file";
  static final String BINLOG_POS = "binlog_pos";
  static final String BINLOG_GTID = "binlog_gtid";
  static final String FULL = "full";
  static final String INCREMENTAL = "incremental";

  private static final Logger LOG = LoggerFactory.getLogger(MariaDbEngine.class);
  private static final Duration INSTALL_DEADLINE = Duration.ofMinutes(3);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration STOP_DEADLINE = Duration.ofSeconds(60);
  // members that joined started synced already; this only bounds the wait for Galera's view
  private static final Duration CLUSTER_DEADLINE = Duration.ofMinutes(5);
  // backups and restores of large data sets take as long as the disks need; these only catch hangs
  private static final Duration RESTORE_STEP_DEADLINE = Duration.ofHours(12);
  private static final Duration STREAM_END_DEADLINE = Duration.ofMinutes(5);
  // backups pass through the agent in chunks of this size, never whole
  private static final int COPY_BUFFER_BYTES = 256 * 1024;
  private static final String BACKUP_SCRATCH = "backup.tmp";
  private static final String RESTORE_SCRATCH = "restore.tmp";
  private static final String REPLAY_SCRATCH = "binlog-replay.tmp";
  private static final String BACKUP_LOG = "mariadb-backup.log";
  private static final String DEFAULT_CHARSET = "utf8mb4";
  private static final String DEFAULT_COLLATION = "utf8mb4_general_ci";

  // server error codes the API reports as something other than an engine failure
  private static final int ER_DB_CREATE_EXISTS = 1007;
  private static final int ER_DB_DROP_EXISTS = 1008;
  private static final int ER_UNKNOWN_CHARACTER_SET = 1115;
  private static final int ER_COLLATION_CHARSET_MISMATCH = 1253;
  private static final int ER_UNKNOWN_COLLATION = 1273;
  private static final int ER_CANNOT_USER = 1396;

  private final EngineContext context;
  private final DatastoreDescriptor descriptor;
  private final SqlDialect dialect;
  private final Path defaultsFile;
  private final Path pidFile;
  // present when the server's binary log is archived for point-in-time recovery
  private final Optional<BinaryLogArchive> binaryLog;
  // one backup at a time per instance: they share the scratch directory
  private final Object backupLock = new Object();
  private final MariaDbReplication replication;
  private final MariaDbConfiguration configuration;
  private final MariaDbGuestLogs guestLogs;
  private final GaleraCluster galera;

  MariaDbEngine(EngineContext context, DatastoreDescriptor descriptor, SqlDialect dialect) {
    this.context = context;
    this.descriptor = descriptor;
    this.dialect = dialect;
    this.defaultsFile = context.instanceDir().resolve("my.cnf");
    this.pidFile = context.runDir().resolve(ServerConfig.PID_FILE);
    this.binaryLog =
        dialect.archivesBinaryLog()
            ? Optional.of(new BinaryLogArchive(context.dataDir(), binaryLogSpool(context)))
            : Optional.empty();
    this.replication =
        new MariaDbReplication(
            context,
            descriptor.name(),
            dialect,
            this::connectAdmin,
            this::writeConfig,
            () -> pid().isPresent());
    this.configuration =
        new MariaDbConfiguration(
            context,
            descriptor.capabilities().contains(Capability.CONFIGURATION),
            this::connectAdmin,
            this::writeConfig,
            () -> pid().isPresent());
    this.guestLogs =
        new MariaDbGuestLogs(
            context, this::connectAdmin, this::writeConfig, () -> pid().isPresent());
    this.galera =
        new GaleraCluster(
            context,
            defaultsFile,
            this::connectAdmin,
            this::writePrivateFile,
            this::writeConfig,
            () -> pid().isPresent());
  }

  /** Where closed binary log files wait to be shipped to the log archive. */
  static Path binaryLogSpool(EngineContext context) {
    return context.instanceDir().resolve("binlog-spool");
  }

  // ---- lifecycle -------------------------------------------------------------------------

  @Override
  public synchronized void initialize() {
    Optional<String> user = context.runAsUser();
    OsProcesses.ownedDirectories(
        user, context.runDir(), context.logDir(), ServerConfig.filesDir(context));
    prepareAgentDir();
    adminPassword();
    writeConfig();
    if (Files.exists(context.dataDir().resolve(INITIALIZED_MARKER)) || pid().isPresent()) {
      return;
    }
    try {
      installSystemTables(user);
    } catch (EngineException first) {
      // Seen once in CI while two replicas were created at the same moment: the bootstrap server
      // of mariadb-install-db failed. A second run on an emptied directory is harmless.
      LOG.warn(
          "engine={} instance={} event=install_db_retry reason=\"{}\"",
          descriptor.name(),
          context.instanceId(),
          first.getMessage());
      installSystemTables(user);
    }
    markInitialized();
    LOG.info("engine={} instance={} event=initialized", descriptor.name(), context.instanceId());
  }

  private void installSystemTables(Optional<String> user) {
    clearDirectory(context.dataDir());
    OsProcesses.ownedDirectories(user, context.dataDir());
    OsProcesses.run(
        dialect.initializeCommand(context.binaries(), defaultsFile, context.dataDir()),
        user,
        INSTALL_DEADLINE,
        Map.of());
  }

  @Override
  public synchronized void start() {
    Optional<Long> running = pid();
    if (running.isPresent()) {
      awaitReady(running.get(), null);
      galera.awaitSynced(galera.startDeadline(START_DEADLINE));
      LOG.info(
          "engine={} instance={} event=adopted pid={}",
          descriptor.name(),
          context.instanceId(),
          running.get());
      return;
    }
    initialize();
    Path initFile = context.runDir().resolve("bootstrap.sql");
    try {
      writeBootstrap(initFile);
      Files.deleteIfExists(pidFile);
      List<String> command =
          new ArrayList<>(
              List.of(
                  context.binary("server"),
                  "--defaults-file=" + defaultsFile,
                  "--init-file=" + initFile));
      command.addAll(galera.startArguments());
      Process process =
          OsProcesses.spawn(
              command, context.runAsUser(), context.logDir().resolve("console.log"), Map.of());
      try {
        awaitReady(process.pid(), process);
        galera.awaitSynced(galera.startDeadline(START_DEADLINE));
      } catch (RuntimeException e) {
        OsProcesses.terminate(process.pid(), Duration.ofSeconds(10));
        throw e;
      }
      markInitialized();
      configuration.started();
      LOG.info(
          "engine={} instance={} event=started pid={}",
          descriptor.name(),
          context.instanceId(),
          process.pid());
    } catch (IOException e) {
      throw EngineException.failure("cannot prepare the server start: " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(initFile);
      } catch (IOException e) {
        LOG.warn("instance={} cannot remove {}: {}", context.instanceId(), initFile, e.toString());
      }
    }
  }

  /**
   * Writes {@value #INITIALIZED_MARKER} if it is missing: a cluster member's state transfer
   * replaces the whole data directory, marker included.
   */
  private void markInitialized() {
    Path marker = context.dataDir().resolve(INITIALIZED_MARKER);
    if (Files.exists(marker)) {
      return;
    }
    try {
      Files.writeString(
          marker,
          "data directory created by " + Path.of(context.binary("server")).getFileName() + "\n");
    } catch (IOException e) {
      throw EngineException.failure("cannot mark the data directory initialised", e);
    }
  }

  /**
   * Starts the server on the data of {@code previous} and runs {@code mariadb-upgrade} against it
   * (it skips the work if its info file already names this server's version). The server stays
   * running.
   */
  @Override
  public synchronized void upgradeFrom(DataVersion previous) {
    start();
    Optional<String> tool = MariaDbUpgrade.tool(context.binaries());
    if (tool.isEmpty()) {
      LOG.info(
          "engine={} instance={} event=upgrade-skipped from={} reason=\"no mariadb-upgrade; the"
              + " server upgrades its own data\"",
          descriptor.name(),
          context.instanceId(),
          previous.version());
      return;
    }
    Path options = context.runDir().resolve("upgrade.cnf");
    try {
      writePrivateFile(
          options,
          MariaDbUpgrade.options(
              ADMIN_USER, adminPassword(), context.runDir().resolve(ServerConfig.SOCKET)));
      String output =
          OsProcesses.run(
              MariaDbUpgrade.command(tool.get(), options),
              context.runAsUser(),
              INSTALL_DEADLINE,
              Map.of());
      Files.writeString(
          context.logDir().resolve("mariadb-upgrade.log"),
          "from " + previous.version() + "\n" + output,
          StandardCharsets.UTF_8);
      LOG.info(
          "engine={} instance={} event=upgraded from={}",
          descriptor.name(),
          context.instanceId(),
          previous.version());
    } catch (IOException e) {
      throw EngineException.failure("cannot run mariadb-upgrade: " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(options);
      } catch (IOException e) {
        LOG.warn("instance={} cannot remove {}: {}", context.instanceId(), options, e.toString());
      }
    }
  }

  /** The init file that (re)creates the agent's accounts with this instance's password. */
  private void writeBootstrap(Path initFile) throws IOException {
    List<String> statements = new ArrayList<>(galera.bootstrapPrefix());
    statements.addAll(dialect.bootstrap(adminAccounts(), adminPassword()));
    statements.addAll(galera.bootstrapSuffix());
    writePrivateFile(initFile, String.join("\n", statements) + "\n");
  }

  @Override
  public synchronized void stop() {
    Optional<Long> running = pid();
    if (running.isEmpty()) {
      return;
    }
    // SIGTERM is the server's clean shutdown: it flushes InnoDB and removes its pid file
    OsProcesses.terminate(running.get(), STOP_DEADLINE);
    if (OsProcesses.isAlive(running.get())) {
      throw EngineException.failure("the server (pid " + running.get() + ") did not stop");
    }
    LOG.info(
        "engine={} instance={} event=stopped pid={}",
        descriptor.name(),
        context.instanceId(),
        running.get());
  }

  @Override
  public boolean isHealthy() {
    if (pid().isEmpty()) {
      return false;
    }
    try (Connection c = connectAdmin(Duration.ofSeconds(2));
        Statement s = c.createStatement()) {
      s.execute("SELECT 1");
      return true;
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public Optional<Long> pid() {
    return OsProcesses.readPid(pidFile).filter(this::isServerProcess);
  }

  /** Guards against a pid file that outlived its process and a PID the OS gave to another one. */
  private boolean isServerProcess(long pid) {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !OsProcesses.isAlive(pid)) {
      return false;
    }
    Set<String> names =
        new TreeSet<>(
            List.of(
                "mariadbd",
                "mysqld",
                Path.of(context.binaries().getOrDefault("server", "mysqld"))
                    .getFileName()
                    .toString()));
    return handle
        .get()
        .info()
        .command()
        .map(command -> names.contains(Path.of(command).getFileName().toString()))
        .orElse(true);
  }

  private void awaitReady(long pid, Process spawned) {
    // a joining cluster member accepts logins only once its state transfer is done
    Duration timeout = galera.startDeadline(START_DEADLINE);
    long deadline = System.nanoTime() + timeout.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      boolean alive = spawned != null ? spawned.isAlive() : OsProcesses.isAlive(pid);
      if (!alive) {
        throw EngineException.failure(
            "the server exited while starting; its log ends with: " + errorLogTail());
      }
      try (Connection c = connectAdmin(Duration.ofSeconds(2));
          Statement s = c.createStatement()) {
        s.execute("SELECT 1");
        return;
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting for the server", e);
      }
    }
    throw EngineException.failure(
        "the server did not accept the agent's login within "
            + timeout.toSeconds()
            + " s (last error: "
            + (last == null ? "none" : last.getMessage())
            + "); its log ends with: "
            + errorLogTail());
  }

  // ---- databases -------------------------------------------------------------------------

  @Override
  public void createDatabase(DatabaseSpec database) {
    requirePrimary();
    String name = requireDatabase(database.name());
    String characterSet = blankToNull(database.characterSet());
    String collation = blankToNull(database.collate());
    if (characterSet == null && collation == null) {
      characterSet = DEFAULT_CHARSET;
      collation = DEFAULT_COLLATION;
    }
    requireCharsetName("character set", characterSet);
    requireCharsetName("collation", collation);
    String sql = dialect.createDatabase(name, characterSet, collation);
    withAdmin(
        "creating database " + name,
        c -> {
          if (databaseExists(c, name)) {
            throw databaseExists(name);
          }
          try (Statement s = c.createStatement()) {
            s.execute(sql);
          } catch (SQLException e) {
            switch (e.getErrorCode()) {
              case ER_DB_CREATE_EXISTS -> throw databaseExists(name);
              case ER_UNKNOWN_CHARACTER_SET, ER_UNKNOWN_COLLATION, ER_COLLATION_CHARSET_MISMATCH ->
                  throw EngineException.badRequest(e.getMessage());
              default -> throw e;
            }
          }
          return null;
        });
  }

  @Override
  public void deleteDatabase(String name) {
    requirePrimary();
    requireDatabase(name);
    withAdmin(
        "deleting database " + name,
        c -> {
          if (!databaseExists(c, name)) {
            throw databaseNotFound(name);
          }
          // MySQL keeps grants on a dropped database; a new database of the same name would
          // silently open to those users again
          List<UserRef> grantees = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement("SELECT User, Host FROM mysql.db WHERE Db = ?")) {
            ps.setString(1, Sql.grantPattern(name));
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                grantees.add(new UserRef(rs.getString(1), rs.getString(2)));
              }
            }
          }
          try (Statement s = c.createStatement()) {
            for (UserRef grantee : grantees) {
              s.execute(dialect.revokeDatabase(name, grantee));
            }
            s.execute(dialect.dropDatabase(name));
          } catch (SQLException e) {
            if (e.getErrorCode() == ER_DB_DROP_EXISTS) {
              throw databaseNotFound(name);
            }
            throw e;
          }
          return null;
        });
  }

  @Override
  public List<DatabaseSpec> listDatabases() {
    return withAdmin(
        "listing databases",
        c -> {
          List<DatabaseSpec> databases = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
                          + " FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")) {
            while (rs.next()) {
              if (!descriptor.reservedDatabases().contains(rs.getString(1))) {
                databases.add(new DatabaseSpec(rs.getString(1), rs.getString(2), rs.getString(3)));
              }
            }
          }
          return databases;
        });
  }

  // ---- users -----------------------------------------------------------------------------

  @Override
  public void createUser(UserSpec user) {
    requirePrimary();
    UserRef ref = requireUser(user.ref(), "User create error");
    String password = requirePassword(user.password());
    List<String> databases = user.databases().stream().map(this::requireDatabase).toList();
    withAdmin(
        "creating user " + ref.name(),
        c -> {
          if (userExists(c, ref)) {
            throw userExists(ref);
          }
          for (String database : databases) {
            if (!databaseExists(c, database)) {
              throw databaseNotFound(database);
            }
          }
          try {
            executeWithPassword(c, dialect.createUser(ref), password);
          } catch (SQLException e) {
            if (e.getErrorCode() == ER_CANNOT_USER) {
              throw userExists(ref);
            }
            throw e;
          }
          try (Statement s = c.createStatement()) {
            for (String database : databases) {
              s.execute(dialect.grantDatabase(database, ref));
            }
          } catch (SQLException | RuntimeException e) {
            // no half-created user: a retry must not meet "already exists"
            try (Statement s = c.createStatement()) {
              s.execute(dialect.dropUser(ref));
            } catch (SQLException dropFailed) {
              e.addSuppressed(dropFailed);
            }
            throw e;
          }
          return null;
        });
  }

  @Override
  public void deleteUser(UserRef user) {
    requirePrimary();
    UserRef ref = requireUser(user, "User delete error");
    withAdmin(
        "deleting user " + ref.name(),
        c -> {
          if (!userExists(c, ref)) {
            throw userNotFound(ref);
          }
          try (Statement s = c.createStatement()) {
            s.execute(dialect.dropUser(ref));
          } catch (SQLException e) {
            if (e.getErrorCode() == ER_CANNOT_USER) {
              throw userNotFound(ref);
            }
            throw e;
          }
          return null;
        });
  }

  @Override
  public List<UserInfo> listUsers() {
    return withAdmin(
        "listing users",
        c -> {
          Map<UserRef, Set<String>> grants = databaseGrants(c);
          List<UserInfo> users = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery(dialect.listAccounts())) {
            while (rs.next()) {
              UserRef ref = new UserRef(rs.getString(1), rs.getString(2));
              if (!isHidden(ref)) {
                users.add(
                    new UserInfo(
                        ref.name(), ref.host(), List.copyOf(grants.getOrDefault(ref, Set.of()))));
              }
            }
          }
          users.sort(Comparator.comparing(UserInfo::name).thenComparing(UserInfo::host));
          return users;
        });
  }

  @Override
  public Optional<UserInfo> findUser(UserRef user) {
    if (isHidden(user)
        || descriptor.userNames().violation(user.name()).isPresent()
        || !Names.HOST.matcher(user.host()).matches()) {
      return Optional.empty();
    }
    return withAdmin(
        "reading user " + user.name(),
        c ->
            userExists(c, user)
                ? Optional.of(new UserInfo(user.name(), user.host(), grantedDatabases(c, user)))
                : Optional.empty());
  }

  @Override
  public void updateUser(UserUpdate update) {
    requirePrimary();
    UserRef ref = requireUser(update.user(), "Error loading user");
    UserRef target =
        requireUser(
            new UserRef(
                update.newName() == null ? ref.name() : update.newName(),
                update.newHost() == null ? ref.host() : update.newHost()),
            "User update error");
    String password = update.newPassword() == null ? null : requirePassword(update.newPassword());
    withAdmin(
        "updating user " + ref.name(),
        c -> {
          if (!userExists(c, ref)) {
            throw userNotFound(ref);
          }
          if (!target.equals(ref)) {
            if (userExists(c, target)) {
              throw userExists(target);
            }
            try (Statement s = c.createStatement()) {
              // grants follow the account
              s.execute(dialect.renameUser(ref, target));
            }
          }
          if (password != null) {
            executeWithPassword(c, dialect.setPassword(target), password);
          }
          return null;
        });
  }

  @Override
  public void grantAccess(AccessChange change) {
    requirePrimary();
    UserRef ref = requireUser(change.user(), "User access error");
    List<String> databases = change.databases().stream().map(this::requireDatabase).toList();
    withAdmin(
        "granting access to " + ref.name(),
        c -> {
          if (!userExists(c, ref)) {
            throw userNotFound(ref);
          }
          for (String database : databases) {
            if (!databaseExists(c, database)) {
              throw databaseNotFound(database);
            }
          }
          try (Statement s = c.createStatement()) {
            for (String database : databases) {
              s.execute(dialect.grantDatabase(database, ref));
            }
          }
          return null;
        });
  }

  @Override
  public void revokeAccess(AccessChange change) {
    requirePrimary();
    UserRef ref = requireUser(change.user(), "User access error");
    List<String> databases = change.databases().stream().map(this::requireDatabase).toList();
    withAdmin(
        "revoking access from " + ref.name(),
        c -> {
          if (!userExists(c, ref)) {
            throw userNotFound(ref);
          }
          List<String> granted = grantedDatabases(c, ref);
          for (String database : databases) {
            // as Trove: revoking a database the user cannot use names a missing database
            if (!granted.contains(database)) {
              throw databaseNotFound(database);
            }
          }
          try (Statement s = c.createStatement()) {
            for (String database : databases) {
              s.execute(dialect.revokeDatabase(database, ref));
            }
          }
          return null;
        });
  }

  // ---- root ------------------------------------------------------------------------------

  @Override
  public RootCredentials enableRoot(Optional<String> password) {
    requirePrimary();
    String secret = password.isPresent() ? requirePassword(password.get()) : Secrets.password(24);
    UserRef root = rootAccount();
    withAdmin(
        "enabling root",
        c -> {
          if (userExists(c, root)) {
            executeWithPassword(c, dialect.setPassword(root), secret);
          } else {
            executeWithPassword(c, dialect.createUser(root), secret);
          }
          try (Statement s = c.createStatement()) {
            s.execute(dialect.grantSuperuser(root));
            // root must not write through read-only once this server is a replica or fenced
            Optional<String> deny = dialect.denyReadOnlyBypass(root);
            if (deny.isPresent()) {
              s.execute(deny.get());
            }
          }
          return null;
        });
    LOG.info("engine={} instance={} event=root-enabled", descriptor.name(), context.instanceId());
    return new RootCredentials(ROOT_USER, secret);
  }

  /** Drops {@code root@'%'}; does nothing if it is absent (the control plane keeps the history). */
  @Override
  public void disableRoot() {
    requirePrimary();
    UserRef root = rootAccount();
    withAdmin(
        "disabling root",
        c -> {
          if (userExists(c, root)) {
            try (Statement s = c.createStatement()) {
              s.execute(dialect.dropUser(root));
            }
          }
          return null;
        });
    LOG.info("engine={} instance={} event=root-disabled", descriptor.name(), context.instanceId());
  }

  @Override
  public boolean isRootEnabled() {
    return withAdmin("reading root status", c -> userExists(c, rootAccount()));
  }

  private static UserRef rootAccount() {
    return new UserRef(ROOT_USER, "%");
  }

  // ---- backups ---------------------------------------------------------------------------

  /** CHECK TABLE on every user table, and the exact number of rows they hold. */
  @Override
  public DataCheck checkData() {
    List<String[]> tables = new ArrayList<>();
    try (Connection c = connectAdmin(Duration.ofSeconds(5))) {
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT table_schema, table_name FROM information_schema.tables"
                      + " WHERE table_type = 'BASE TABLE'")) {
        while (rs.next()) {
          if (!descriptor.reservedDatabases().contains(rs.getString(1))) {
            tables.add(new String[] {rs.getString(1), rs.getString(2)});
          }
        }
      }
      long rows = 0;
      List<String> problems = new ArrayList<>();
      for (String[] t : tables) {
        String name = "`" + t[0].replace("`", "``") + "`.`" + t[1].replace("`", "``") + "`";
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("CHECK TABLE " + name)) {
          while (rs.next()) {
            if (rs.getString("Msg_type").equalsIgnoreCase("error")
                || rs.getString("Msg_type").equalsIgnoreCase("status")
                    && !rs.getString("Msg_text").equalsIgnoreCase("OK")) {
              problems.add(t[0] + "." + t[1] + ": " + rs.getString("Msg_text"));
            }
          }
        }
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + name)) {
          rs.next();
          rows += rs.getLong(1);
        }
      }
      return new DataCheck(
          problems.isEmpty(),
          rows,
          problems.isEmpty()
              ? "CHECK TABLE passed on " + tables.size() + " tables"
              : String.join("; ", problems));
    } catch (SQLException e) {
      throw EngineException.failure("the data check failed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean supportsIncremental() {
    requireBackupTools();
    return true;
  }

  /**
   * Streams {@code mariadb-backup --backup --stream=xbstream} of the running server to {@code out},
   * through a fixed buffer. Incremental backups copy the InnoDB pages changed since the parent's
   * {@code to_lsn} (and every non-InnoDB table whole, as mariadb-backup always does).
   */
  @Override
  public BackupManifest backup(Optional<BackupManifest> parent, OutputStream out) {
    requireBackupTools();
    Optional<String> fromLsn = parent.map(MariaDbEngine::parentLsn);
    synchronized (backupLock) {
      if (pid().isEmpty()) {
        throw EngineException.failure("cannot back up: the server is not running");
      }
      Path scratch = context.instanceDir().resolve(BACKUP_SCRATCH);
      try {
        Path target = scratch.resolve("target");
        Path lsnDir = scratch.resolve("lsn");
        newScratch(scratch, target, lsnDir);
        // the tool reads the instance's my.cnf for the data directory and InnoDB settings, and
        // the agent's login from a file only the run-as user can read
        Path options = scratch.resolve("backup.cnf");
        writePrivateFile(
            options,
            String.join(
                "\n",
                "!include " + defaultsFile,
                "[mariadb-backup]",
                "user=" + ADMIN_USER,
                // generated passwords are letters and digits: nothing to quote in an option file
                "password=" + adminPassword(),
                "socket=" + context.runDir().resolve(ServerConfig.SOCKET),
                ""));
        List<String> command =
            new ArrayList<>(
                List.of(
                    context.binary(BACKUP_TOOL),
                    "--defaults-file=" + options,
                    "--backup",
                    "--stream=xbstream",
                    "--target-dir=" + target,
                    "--extra-lsndir=" + lsnDir));
        fromLsn.ifPresent(lsn -> command.add("--incremental-lsn=" + lsn));
        Path log = context.logDir().resolve(BACKUP_LOG);
        long bytes = streamOut(command, log, out);
        Map<String, String> checkpoints = readCheckpoints(lsnDir);
        Map<String, String> position = new TreeMap<>();
        position.put(BACKUP_TYPE, fromLsn.isPresent() ? INCREMENTAL : FULL);
        for (String key : List.of(FROM_LSN, TO_LSN, "last_lsn")) {
          if (checkpoints.containsKey(key)) {
            position.put(key, checkpoints.get(key));
          }
        }
        if (!position.containsKey(TO_LSN)) {
          throw EngineException.failure("mariadb-backup recorded no to_lsn in its checkpoints");
        }
        position.putAll(readBinlogPosition(lsnDir));
        LOG.info(
            "engine={} instance={} event=backed-up type={} from_lsn={} to_lsn={} bytes={}",
            descriptor.name(),
            context.instanceId(),
            position.get(BACKUP_TYPE),
            position.getOrDefault(FROM_LSN, "0"),
            position.get(TO_LSN),
            bytes);
        return new BackupManifest(BACKUP_FORMAT, position);
      } catch (IOException e) {
        throw EngineException.failure("cannot prepare the backup: " + e.getMessage(), e);
      } finally {
        removeScratch(scratch);
      }
    }
  }

  /**
   * Extracts the full backup, prepares it, applies each incremental in turn (one extracted at a
   * time, so the scratch space is the full backup plus one incremental), then moves the prepared
   * files into the emptied data directory. The instance's my.cnf and admin password stay its own:
   * the restored {@code mysql.*} tables carry the source instance's {@code os_admin} password, and
   * the init file of the next {@link #start()} sets it back to this instance's.
   */
  @Override
  public void restore(List<BackupSource> chain) {
    restore(chain, Optional.empty());
  }

  /**
   * Restores the chain as above, then replays the source's archived binary log from where the last
   * backup of the chain ends up to the target's time (see {@link BinaryLogArchive}): on a private
   * run of the server, with no TCP listener and no binary log of its own, fed by {@code
   * mariadb-binlog} piped into the {@code mariadb} client logged in as the agent over a socket of
   * its own. The server is stopped again before this returns.
   */
  @Override
  public void restore(List<BackupSource> chain, RecoveryTarget target) {
    restore(chain, Optional.of(target));
  }

  private synchronized void restore(List<BackupSource> chain, Optional<RecoveryTarget> target) {
    requireBackupTools();
    requireChain(chain);
    BackupManifest last = chain.get(chain.size() - 1).manifest();
    if (target.isPresent()) {
      requireReplayTools();
      requireBinlogPosition(last);
    }
    if (pid().isPresent()) {
      throw EngineException.conflict("The server must be stopped before a restore.");
    }
    Optional<String> user = context.runAsUser();
    OsProcesses.ownedDirectories(
        user, context.runDir(), context.logDir(), ServerConfig.filesDir(context));
    prepareAgentDir();
    adminPassword();
    writeConfig();
    Path scratch = context.instanceDir().resolve(RESTORE_SCRATCH);
    boolean restored = false;
    try {
      Path full = scratch.resolve("full");
      Path incremental = scratch.resolve("incremental");
      newScratch(scratch, full);
      extract(chain.get(0), full, scratch);
      prepare(full, Optional.empty());
      for (BackupSource source : chain.subList(1, chain.size())) {
        clearDirectory(incremental);
        OsProcesses.ownedDirectories(user, incremental);
        extract(source, incremental, scratch);
        prepare(full, Optional.of(incremental));
      }
      clearDirectory(incremental);
      // a data directory without the marker is an interrupted initialisation: if the agent dies
      // while files move, the next initialize() starts afresh instead of trusting half the files
      clearDirectory(context.dataDir());
      OsProcesses.ownedDirectories(user, context.dataDir());
      OsProcesses.run(
          List.of(
              context.binary(BACKUP_TOOL),
              "--defaults-file=" + defaultsFile,
              "--move-back",
              "--target-dir=" + full,
              "--datadir=" + context.dataDir()),
          user,
          RESTORE_STEP_DEADLINE,
          Map.of());
      OsProcesses.ownedDirectories(user, context.dataDir());
      removeScratch(scratch);
      if (target.isPresent()) {
        replayBinaryLog(target.get(), last);
      }
      Files.writeString(
          context.dataDir().resolve(INITIALIZED_MARKER),
          "data directory restored by "
              + Path.of(context.binary(BACKUP_TOOL)).getFileName()
              + " from a chain of "
              + chain.size()
              + target.map(t -> " and the binary log up to " + t.time()).orElse("")
              + "\n");
      restored = true;
      LOG.info(
          "engine={} instance={} event=restored backups={} to_lsn={} point_in_time={}",
          descriptor.name(),
          context.instanceId(),
          chain.size(),
          last.position().getOrDefault(TO_LSN, "?"),
          target.map(t -> t.time().toString()).orElse("none"));
    } catch (IOException e) {
      throw EngineException.failure("cannot restore: " + e.getMessage(), e);
    } finally {
      removeScratch(scratch);
      if (!restored) {
        // half a restore must never be started: an empty data directory is plainly not initialised
        try {
          clearDirectory(context.dataDir());
        } catch (RuntimeException e) {
          LOG.warn(
              "instance={} cannot empty the data directory after a failed restore: {}",
              context.instanceId(),
              e.getMessage());
        }
      }
    }
  }

  /** See {@link #restore(List, RecoveryTarget)}. */
  private void replayBinaryLog(RecoveryTarget target, BackupManifest last) throws IOException {
    Optional<String> user = context.runAsUser();
    Path work = context.instanceDir().resolve(REPLAY_SCRATCH);
    Path socket = context.runDir().resolve("replay.sock");
    Path replayPid = context.runDir().resolve("replay.pid");
    Path initFile = context.runDir().resolve("bootstrap.sql");
    Process server = null;
    try {
      Path logs = work.resolve("logs");
      newScratch(work, logs);
      List<Path> files =
          BinaryLogArchive.fetch(target.archive(), last.position().get(BINLOG_FILE), logs);
      OsProcesses.ownedDirectories(user, logs);
      // the client's login, in a file only the run-as user can read
      Path clientOptions = work.resolve("client.cnf");
      writePrivateFile(
          clientOptions,
          String.join(
              "\n",
              "[client]",
              "user=" + ADMIN_USER,
              // generated passwords are letters and digits: nothing to quote in an option file
              "password=" + adminPassword(),
              "socket=" + socket,
              ""));
      writeBootstrap(initFile);
      Files.deleteIfExists(replayPid);
      server =
          OsProcesses.spawn(
              List.of(
                  context.binary("server"),
                  "--defaults-file=" + defaultsFile,
                  "--init-file=" + initFile,
                  // nobody but the agent may see the data before the replay ends
                  "--skip-networking",
                  "--socket=" + socket,
                  "--pid-file=" + replayPid,
                  // the replayed changes are the source's history, not this instance's
                  "--skip-log-bin"),
              user,
              context.logDir().resolve("console.log"),
              Map.of());
      awaitClient(server, clientOptions, logs.resolve("ping.log"));
      Files.deleteIfExists(initFile);
      pipeReplay(
          BinaryLogArchive.replayCommand(
              context.binary(BINLOG_TOOL),
              Long.parseLong(last.position().get(BINLOG_POS)),
              target.time(),
              files),
          List.of(context.binary(CLIENT_TOOL), "--defaults-file=" + clientOptions, "--binary-mode"),
          work);
      OsProcesses.terminate(server.pid(), STOP_DEADLINE);
      if (OsProcesses.isAlive(server.pid())) {
        throw EngineException.failure("the server did not stop after replaying the binary log");
      }
      LOG.info(
          "engine={} instance={} event=binlog-replayed from={}:{} files={} until={}",
          descriptor.name(),
          context.instanceId(),
          last.position().get(BINLOG_FILE),
          last.position().get(BINLOG_POS),
          files.size(),
          target.time());
    } finally {
      if (server != null && OsProcesses.isAlive(server.pid())) {
        OsProcesses.terminate(server.pid(), Duration.ofSeconds(10));
      }
      Files.deleteIfExists(initFile);
      Files.deleteIfExists(replayPid);
      Files.deleteIfExists(socket);
      removeScratch(work);
    }
  }

  /** Waits until the private server accepts the agent's login through the client. */
  private void awaitClient(Process server, Path clientOptions, Path log) {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (true) {
      if (!server.isAlive()) {
        throw EngineException.failure(
            "the server exited while starting for the binary log replay; its log ends with: "
                + errorLogTail());
      }
      try {
        OsProcesses.run(
            List.of(
                context.binary(CLIENT_TOOL),
                "--defaults-file=" + clientOptions,
                "--connect-timeout=2",
                "-e",
                "SELECT 1"),
            context.runAsUser(),
            Duration.ofSeconds(10),
            Map.of());
        return;
      } catch (EngineException e) {
        if (System.nanoTime() > deadline) {
          throw EngineException.failure(
              "the server did not accept the agent's login for the binary log replay within "
                  + START_DEADLINE.toSeconds()
                  + " s: "
                  + e.getMessage());
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting for the server", e);
      }
    }
  }

  /**
   * Runs {@code printer | client} (both as the run-as user), the binary log never landing on disk
   * as SQL; fails with the tools' own messages if either fails.
   */
  private void pipeReplay(List<String> printer, List<String> client, Path work) throws IOException {
    Path printerLog = work.resolve("mariadb-binlog.log");
    Path clientLog = work.resolve("mariadb.log");
    ProcessBuilder print =
        new ProcessBuilder(OsProcesses.asUser(printer, context.runAsUser()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectError(ProcessBuilder.Redirect.to(printerLog.toFile()));
    // the tool reads --stop-datetime in local time
    print.environment().put("TZ", "UTC");
    ProcessBuilder apply =
        new ProcessBuilder(OsProcesses.asUser(client, context.runAsUser()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(clientLog.toFile()));
    List<Process> processes = ProcessBuilder.startPipeline(List.of(print, apply));
    try {
      for (Process process : processes) {
        if (!process.waitFor(RESTORE_STEP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
          throw EngineException.failure("the binary log replay did not finish");
        }
      }
      if (processes.get(0).exitValue() != 0) {
        throw EngineException.failure(
            "mariadb-binlog failed with exit code "
                + processes.get(0).exitValue()
                + " reading the archived binary log: "
                + fileTail(printerLog));
      }
      if (processes.get(1).exitValue() != 0) {
        throw EngineException.failure(
            "replaying the archived binary log failed with exit code "
                + processes.get(1).exitValue()
                + ": "
                + fileTail(clientLog));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while replaying the binary log", e);
    } finally {
      processes.forEach(MariaDbEngine::killIfAlive);
    }
  }

  private void requireReplayTools() {
    if (binaryLog.isEmpty()
        || !context.binaries().containsKey(BINLOG_TOOL)
        || !context.binaries().containsKey(CLIENT_TOOL)) {
      throw EngineException.unsupported("point_in_time_recovery", descriptor.name());
    }
  }

  private static void requireBinlogPosition(BackupManifest manifest) {
    String file = manifest.position().get(BINLOG_FILE);
    String pos = manifest.position().get(BINLOG_POS);
    if (file == null
        || BinaryLogArchive.number(file).isEmpty()
        || pos == null
        || !pos.matches("\\d{1,18}")) {
      throw EngineException.badRequest(
          "The backup records no binary log position (it was taken before the binary log was"
              + " archived), so it can only be restored as it is, without a restore time.");
    }
  }

  /**
   * Where in the binary log the backup ends, from the {@code xtrabackup_info} file mariadb-backup
   * left in {@code dir}; empty when the server keeps no binary log.
   */
  private static Map<String, String> readBinlogPosition(Path dir) throws IOException {
    Path file = dir.resolve("xtrabackup_info");
    if (!Files.exists(file)) {
      file = dir.resolve("mariadb_backup_info");
    }
    if (!Files.exists(file)) {
      return Map.of();
    }
    Map<String, String> position = new TreeMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      Matcher m = BINLOG_INFO.matcher(line);
      if (m.find()) {
        position.put(BINLOG_FILE, m.group(1));
        position.put(BINLOG_POS, m.group(2));
        if (m.group(3) != null && !m.group(3).isEmpty()) {
          position.put(BINLOG_GTID, m.group(3));
        }
      }
    }
    return position;
  }

  /**
   * {@code binlog_pos = filename 'binlog.000002', position '342', GTID of the last change '0-1-5'}
   */
  private static final Pattern BINLOG_INFO =
      Pattern.compile(
          "^binlog_pos\\s*=\\s*filename '([^']+)', position '(\\d+)'"
              + "(?:, GTID of the last change '([^']*)')?");

  // ---- log archive (point-in-time recovery) ----------------------------------------------

  @Override
  public Optional<Path> logSpool() {
    return binaryLog.map(b -> binaryLogSpool(context));
  }

  @Override
  public boolean marksArchiveProgress(String fileName) {
    return BinaryLogArchive.isLogFile(fileName);
  }

  @Override
  public void spoolLog() {
    if (binaryLog.isEmpty() || pid().isEmpty()) {
      return;
    }
    withAdmin(
        "spooling the binary log",
        c -> {
          binaryLog.get().spool(c, false);
          return null;
        });
  }

  /**
   * Closes the current binary log file and spools every closed one. Its last write (the rotation)
   * comes after everything committed before the call.
   */
  @Override
  public void flushLog() {
    BinaryLogArchive archive =
        binaryLog.orElseThrow(
            () -> EngineException.unsupported("point_in_time_recovery", descriptor.name()));
    if (pid().isEmpty()) {
      throw EngineException.failure("cannot archive the binary log: the server is not running");
    }
    withAdmin(
        "closing the binary log",
        c -> {
          archive.spool(c, true);
          return null;
        });
  }

  private void requireBackupTools() {
    if (!context.binaries().containsKey(BACKUP_TOOL)
        || !context.binaries().containsKey(STREAM_TOOL)) {
      throw EngineException.unsupported("backup", descriptor.name());
    }
  }

  private static String parentLsn(BackupManifest parent) {
    String lsn = parent.position().get(TO_LSN);
    if (!BACKUP_FORMAT.equals(parent.format()) || lsn == null || !lsn.matches("\\d+")) {
      throw EngineException.badRequest(
          "The parent backup is not a mariadb-backup backup with a to_lsn.");
    }
    return lsn;
  }

  /** A full backup, then incrementals each starting where the one before ended. */
  private static void requireChain(List<BackupSource> chain) {
    if (chain.isEmpty()) {
      throw EngineException.badRequest("A restore needs at least a full backup.");
    }
    String previousToLsn = null;
    for (int i = 0; i < chain.size(); i++) {
      BackupManifest manifest = chain.get(i).manifest();
      String type = manifest.position().get(BACKUP_TYPE);
      if (!BACKUP_FORMAT.equals(manifest.format())) {
        throw EngineException.badRequest(
            "Backup " + (i + 1) + " of the chain is not a mariadb-backup backup.");
      }
      if (!(i == 0 ? FULL : INCREMENTAL).equals(type)) {
        throw EngineException.badRequest(
            "A restore chain is one full backup followed by incrementals; backup "
                + (i + 1)
                + " is "
                + (type == null ? "of unknown type" : type)
                + ".");
      }
      String fromLsn = manifest.position().get(FROM_LSN);
      if (i > 0 && previousToLsn != null && fromLsn != null && !fromLsn.equals(previousToLsn)) {
        throw EngineException.badRequest(
            "Backup "
                + (i + 1)
                + " of the chain starts at LSN "
                + fromLsn
                + " but the one before ends at "
                + previousToLsn
                + ".");
      }
      previousToLsn = manifest.position().get(TO_LSN);
    }
  }

  /**
   * Runs {@code command} (as the run-as user) and copies its standard output to {@code out} through
   * a fixed buffer; its diagnostics go to {@code log}. Returns the bytes copied.
   */
  private long streamOut(List<String> command, Path log, OutputStream out) throws IOException {
    Process process =
        new ProcessBuilder(OsProcesses.asUser(command, context.runAsUser()))
            .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    long bytes = 0;
    try {
      byte[] buffer = new byte[COPY_BUFFER_BYTES];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          try {
            out.write(buffer, 0, n);
          } catch (IOException e) {
            throw EngineException.failure(
                "the backup could not be written to its destination: " + e.getMessage(), e);
          }
          bytes += n;
        }
      }
      if (!process.waitFor(STREAM_END_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw EngineException.failure("mariadb-backup did not exit after its stream ended");
      }
      if (process.exitValue() != 0) {
        throw EngineException.failure(
            "mariadb-backup failed with exit code "
                + process.exitValue()
                + "; its log ends with: "
                + fileTail(log));
      }
      return bytes;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while backing up", e);
    } finally {
      killIfAlive(process);
    }
  }

  /** Pipes one backup's bytes into {@code mbstream -x} (as the run-as user) to unpack it in dir. */
  private void extract(BackupSource source, Path dir, Path scratch) throws IOException {
    Path log = scratch.resolve("mbstream.log");
    Process process =
        new ProcessBuilder(
                OsProcesses.asUser(
                    List.of(context.binary(STREAM_TOOL), "-x", "-C", dir.toString()),
                    context.runAsUser()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
    try {
      byte[] buffer = new byte[COPY_BUFFER_BYTES];
      try (InputStream in = source.open();
          OutputStream toTool = process.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          try {
            toTool.write(buffer, 0, n);
          } catch (IOException e) {
            // mbstream stopped reading: its own message says why
            throw EngineException.failure(
                "mbstream stopped unpacking the backup; it said: " + fileTail(log), e);
          }
        }
      }
      if (!process.waitFor(RESTORE_STEP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw EngineException.failure("mbstream did not finish unpacking the backup");
      }
      if (process.exitValue() != 0) {
        throw EngineException.failure(
            "mbstream failed with exit code "
                + process.exitValue()
                + " unpacking the backup: "
                + fileTail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while unpacking a backup", e);
    } finally {
      killIfAlive(process);
    }
  }

  /** A tool left running by a failure would hold the scratch directory (and the server's locks). */
  private static void killIfAlive(Process process) {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Makes {@code full} consistent, or applies {@code incremental} to it. Since MariaDB 10.2 a
   * prepared full backup still accepts incrementals, so no {@code --apply-log-only} is needed.
   */
  private void prepare(Path full, Optional<Path> incremental) {
    List<String> command =
        new ArrayList<>(
            List.of(
                context.binary(BACKUP_TOOL),
                "--defaults-file=" + defaultsFile,
                "--prepare",
                "--use-memory=" + ServerConfig.bufferPoolMb(context.memoryMb()) + "M",
                "--target-dir=" + full));
    incremental.ifPresent(dir -> command.add("--incremental-dir=" + dir));
    OsProcesses.run(command, context.runAsUser(), RESTORE_STEP_DEADLINE, Map.of());
  }

  /** {@code key = value} lines of the checkpoints file mariadb-backup left in {@code dir}. */
  private static Map<String, String> readCheckpoints(Path dir) throws IOException {
    Path file = dir.resolve("xtrabackup_checkpoints");
    if (!Files.exists(file)) {
      file = dir.resolve("mariadb_backup_checkpoints");
    }
    Map<String, String> values = new TreeMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    return values;
  }

  /**
   * Empties (or creates) {@code scratch} and the given subdirectories, owned by the run-as user.
   */
  private void newScratch(Path scratch, Path... subdirectories) {
    removeScratch(scratch);
    OsProcesses.ownedDirectories(context.runAsUser(), scratch);
    OsProcesses.ownedDirectories(context.runAsUser(), subdirectories);
  }

  private void removeScratch(Path scratch) {
    try {
      clearDirectory(scratch);
      Files.deleteIfExists(scratch);
    } catch (IOException | RuntimeException e) {
      LOG.warn("instance={} cannot remove {}: {}", context.instanceId(), scratch, e.toString());
    }
  }

  // ---- replication -----------------------------------------------------------------------

  @Override
  public Map<String, String> prepareSource(SourceRequest request) {
    return replication.prepareSource(request);
  }

  @Override
  public void releaseReplica(String replicaId) {
    replication.releaseReplica(replicaId);
  }

  @Override
  public synchronized void configureReplica(ReplicaSetup setup) {
    replication.configureReplica(setup);
  }

  @Override
  public synchronized void startReplica(ReplicaSetup setup) {
    replication.startReplica(setup);
  }

  @Override
  public Optional<EngineMetrics> metrics() {
    try (Connection c = connectAdmin(Duration.ofSeconds(2), Duration.ofSeconds(5));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Questions')")) {
      Map<String, Long> status = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      while (rs.next()) {
        status.put(rs.getString(1), Long.parseLong(rs.getString(2)));
      }
      return Optional.of(
          new EngineMetrics(
              status.getOrDefault("Threads_connected", 0L), status.getOrDefault("Questions", 0L)));
    } catch (SQLException | NumberFormatException e) {
      throw EngineException.failure("cannot read the server status: " + e.getMessage(), e);
    }
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
    replication.repoint(setup);
  }

  // ---- clusters (Galera) ------------------------------------------------------------------

  @Override
  public synchronized void configureCluster(ClusterSetup setup) {
    galera.configure(setup);
  }

  /** Galera forms on start: waits until every member is in and this one is synced. */
  @Override
  public void formCluster(ClusterSetup setup) {
    galera.awaitMembers(setup, CLUSTER_DEADLINE);
  }

  @Override
  public void membersAdded(ClusterSetup setup, List<String> added) {
    galera.awaitMembers(setup, CLUSTER_DEADLINE);
  }

  /** Nothing: every member holds all data, and a clean shutdown leaves the cluster. */
  @Override
  public void leaveCluster(ClusterSetup setup) {}

  /** Galera forgets members that left; the next start's member list drops them. */
  @Override
  public void membersRemoved(ClusterSetup setup, List<String> removed) {
    galera.remember(setup);
  }

  @Override
  public ClusterStatus clusterStatus() {
    return galera.status();
  }

  // ---- configuration groups ----------------------------------------------------------------

  @Override
  public synchronized Set<String> applyConfiguration(Map<String, String> values) {
    return configuration.apply(values);
  }

  @Override
  public Map<String, String> currentConfiguration(Set<String> names) {
    return configuration.current(names);
  }

  // ---- guest logs ------------------------------------------------------------------------

  @Override
  public List<GuestLogFile> guestLogs() {
    return guestLogs.list();
  }

  @Override
  public synchronized void setGuestLog(String name, boolean enabled) {
    guestLogs.set(name, enabled);
  }

  /**
   * Users, databases and root of a replica or a fenced server come from its primary: a change of
   * the agent's own here would make it diverge (the agent's account writes through read-only).
   */
  private void requirePrimary() {
    ReplicationState state = ReplicationState.load(context.agentDir());
    if (state.readOnly()) {
      throw EngineException.conflict(
          "The instance is read-only ("
              + state.role()
              + "): users, databases and root are changed on its primary.");
    }
  }

  // ---- SQL helpers -----------------------------------------------------------------------

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> T withAdmin(String what, SqlWork<T> work) {
    try (Connection c = connectAdmin(Duration.ofSeconds(5))) {
      return work.run(c);
    } catch (SQLException e) {
      throw EngineException.failure(
          what + " failed: " + e.getMessage() + " (error " + e.getErrorCode() + ")", e);
    }
  }

  private Connection connectAdmin(Duration connectTimeout) throws SQLException {
    return connectAdmin(connectTimeout, Duration.ofSeconds(120));
  }

  private Connection connectAdmin(Duration connectTimeout, Duration socketTimeout)
      throws SQLException {
    Properties properties = new Properties();
    properties.putAll(dialect.connectionProperties());
    properties.setProperty("user", ADMIN_USER);
    properties.setProperty("password", adminPassword());
    properties.setProperty("connectTimeout", String.valueOf(connectTimeout.toMillis()));
    properties.setProperty("socketTimeout", String.valueOf(socketTimeout.toMillis()));
    // parameters are substituted, escaped, by the driver: passwords never meet string
    // concatenation, and failed queries are never copied into exception messages
    properties.setProperty("useServerPrepStmts", "false");
    properties.setProperty("dumpQueriesOnException", "false");
    // the agent's statements (passwords among them) never reach a general log a user turned on
    properties.setProperty("sessionVariables", "sql_log_off=1");
    return DriverManager.getConnection(
        "jdbc:mariadb://" + connectHost() + ":" + context.port() + "/", properties);
  }

  /** The address the agent dials: the instance's own, unless the server listens everywhere. */
  private String connectHost() {
    String bind = context.bindAddress();
    return bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("*") ? "127.0.0.1" : bind;
  }

  /**
   * Accounts the agent logs in with: loopback clients reach the server from 127.0.0.1 whatever
   * 127.x address it listens on, socket clients are {@code localhost}, and a server on another
   * address sees the agent coming from that address.
   */
  private List<UserRef> adminAccounts() {
    Set<String> hosts = new TreeSet<>(List.of("127.0.0.1", "localhost"));
    String host = connectHost();
    if (!host.startsWith("127.")) {
      hosts.add(host);
    }
    return hosts.stream().map(h -> new UserRef(ADMIN_USER, h)).toList();
  }

  /**
   * Runs a statement with one password parameter. A failure keeps only the error code: the server's
   * message may quote the statement, which by then contains the password.
   */
  static void executeWithPassword(Connection c, String sql, String password) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, password);
      ps.execute();
    } catch (SQLException e) {
      throw new SQLException(
          "a statement setting a password failed", e.getSQLState(), e.getErrorCode());
    }
  }

  private static boolean databaseExists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static boolean userExists(Connection c, UserRef user) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?")) {
      ps.setString(1, user.name());
      ps.setString(2, user.host());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private List<String> grantedDatabases(Connection c, UserRef user) throws SQLException {
    return List.copyOf(databaseGrants(c).getOrDefault(user, Set.of()));
  }

  /** Database-level grants of every account, by account, database names sorted. */
  private Map<UserRef, Set<String>> databaseGrants(Connection c) throws SQLException {
    Map<UserRef, Set<String>> grants =
        new TreeMap<>(Comparator.comparing(UserRef::name).thenComparing(UserRef::host));
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(dialect.listDatabaseGrants())) {
      while (rs.next()) {
        String database = Sql.ungrantPattern(rs.getString(3));
        if (!descriptor.reservedDatabases().contains(database)) {
          grants
              .computeIfAbsent(new UserRef(rs.getString(1), rs.getString(2)), k -> new TreeSet<>())
              .add(database);
        }
      }
    }
    return grants;
  }

  // ---- validation and messages -------------------------------------------------------------

  /** Reserved and internal accounts (the agent's, root, the server's own) are never shown. */
  private boolean isHidden(UserRef user) {
    return user.name().isEmpty() || descriptor.reservedUsers().contains(user.name());
  }

  private UserRef requireUser(UserRef user, String errorPrefix) {
    requireName(descriptor.userNames(), "user", user.name());
    if (descriptor.reservedUsers().contains(user.name())) {
      throw EngineException.badRequest(
          errorPrefix
              + ": User name \""
              + user.name()
              + "\" is on the reserved list: "
              + new TreeSet<>(descriptor.reservedUsers())
              + ".");
    }
    if (!Names.HOST.matcher(user.host()).matches()) {
      throw EngineException.badRequest(
          "Invalid host \""
              + user.host()
              + "\": use %, an address or a host name, with % or _ as wildcards.");
    }
    return user;
  }

  private String requireDatabase(String name) {
    requireName(descriptor.databaseNames(), "database", name);
    if (descriptor.reservedDatabases().contains(name)) {
      throw EngineException.badRequest(
          "Database name \""
              + name
              + "\" is on the reserved list: "
              + new TreeSet<>(descriptor.reservedDatabases())
              + ".");
    }
    return name;
  }

  private static void requireName(NameRule rule, String what, String name) {
    rule.violation(name)
        .ifPresent(
            why -> {
              throw EngineException.badRequest(
                  "Invalid " + what + " name \"" + name + "\": " + why + ".");
            });
  }

  private static void requireCharsetName(String what, String name) {
    if (name != null && !Names.CHARSET.matcher(name).matches()) {
      throw EngineException.badRequest("Invalid " + what + " \"" + name + "\".");
    }
  }

  private static String requirePassword(String password) {
    if (password == null || password.isEmpty()) {
      throw EngineException.badRequest("A password is required.");
    }
    return password;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  private static EngineException databaseExists(String name) {
    return EngineException.conflict("A database with the name \"" + name + "\" already exists.");
  }

  private static EngineException databaseNotFound(String name) {
    return EngineException.notFound("Database " + name + " cannot be found on the instance.");
  }

  private static EngineException userExists(UserRef user) {
    return EngineException.conflict("A user with the name \"" + user.name() + "\" already exists.");
  }

  private static EngineException userNotFound(UserRef user) {
    String id = user.host().equals("%") ? user.name() : user.name() + "@" + user.host();
    return EngineException.notFound("User " + id + " cannot be found on the instance.");
  }

  // ---- files -----------------------------------------------------------------------------

  private String adminPassword() {
    return Secrets.readOrCreate(context.agentDir().resolve("admin.secret"));
  }

  private void prepareAgentDir() {
    try {
      if (!Files.isDirectory(context.agentDir())) {
        Files.createDirectories(context.agentDir().getParent());
        Files.createDirectory(
            context.agentDir(),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot create " + context.agentDir(), e);
    }
  }

  private void writeConfig() {
    try {
      Path tmp = defaultsFile.resolveSibling("my.cnf.tmp");
      Files.writeString(
          tmp,
          ServerConfig.render(
              context,
              dialect,
              ReplicationState.load(context.agentDir()),
              ParameterGroup.load(context.agentDir()),
              GuestLogSettings.load(context.agentDir()),
              galera.serverOptions(),
              galera.trailer()),
          StandardCharsets.UTF_8);
      // the server skips world-writable option files
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(
          tmp, defaultsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + defaultsFile, e);
    }
  }

  /** A 0600 file the server (running as the run-as user) can read and nobody else can. */
  private void writePrivateFile(Path file, String content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, content, StandardCharsets.UTF_8);
    if (context.runAsUser().isPresent() && OsProcesses.isRoot()) {
      UserPrincipalLookupService lookup = file.getFileSystem().getUserPrincipalLookupService();
      PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
      view.setOwner(lookup.lookupPrincipalByName(context.runAsUser().get()));
      view.setGroup(lookup.lookupPrincipalByGroupName(context.runAsUser().get()));
    }
  }

  private static void clearDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        if (!path.equals(dir)) {
          Files.delete(path);
        }
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot clear " + dir + ": " + e.getMessage(), e);
    }
  }

  private String errorLogTail() {
    return fileTail(context.logDir().resolve(ServerConfig.ERROR_LOG));
  }

  private static String fileTail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
      return tail.length() <= 1500 ? tail : "…" + tail.substring(tail.length() - 1500);
    } catch (IOException e) {
      return "(no log at " + log + ")";
    }
  }
}

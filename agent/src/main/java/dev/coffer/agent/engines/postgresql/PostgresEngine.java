package dev.coffer.agent.engines.postgresql;

import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.DATASTORE;
import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.DESCRIPTOR;
import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.ROOT_USER;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.DataVersion;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.engine.UpgradableEngine;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.AccessChange;
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
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PasswordUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL behind the {@link Engine} SPI. Users are login roles, databases are databases.
 *
 * <p>Access to a database goes through a group role per database ({@link #accessGroup}): the group
 * may connect to the database and owns every right in its {@code public} schema, and tables a
 * member creates are shared with the group by default privileges. So, as in MySQL, every user
 * granted a database can use all of its tables, whoever created them; revoking is leaving the
 * group. PUBLIC loses CONNECT on every database the agent creates.
 *
 * <p>Passwords are hashed (SCRAM-SHA-256) on the agent side and only the verifier is sent, so the
 * clear password never reaches the server, its logs or {@code pg_stat_activity}.
 *
 * <p>Backups are full base backups ({@link PostgresBackup}); replication is physical streaming
 * replication with a slot per replica ({@link PostgresReplication}). Configuration groups are an
 * include file the agent renders ({@link PostgresConfigurationGroup}).
 */
final class PostgresEngine
    implements Engine,
        BackupEngine,
        ReplicationEngine,
        ConfigurableEngine,
        GuestLogEngine,
        UpgradableEngine {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresEngine.class);

  /** Encoding names such as {@code UTF8} or {@code LATIN1}; the server decides which exist. */
  private static final Pattern CHARACTER_SET = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  /** Locale names such as {@code C}, {@code C.UTF-8} or {@code en_US.utf8@euro}. */
  private static final Pattern COLLATION = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");

  private static final String ACCESS_GROUP_PREFIX = "access:";

  /** Connects to this database for cluster-wide work (roles, CREATE/DROP DATABASE). */
  private static final String MAINTENANCE_DB = "postgres";

  /** How long the archiver may take to copy one segment into the spool. */
  private static final Duration FLUSH_DEADLINE = Duration.ofSeconds(30);

  private final EngineContext context;
  private final PostgresServer server;
  private final PostgresBackup backups;
  private final PostgresReplication replication;
  private final PostgresConfigurationGroup configuration;
  private final PostgresGuestLogs guestLogs;
  private final PostgresUpgrade upgrade;

  PostgresEngine(EngineContext context) {
    this.context = context;
    this.server = new PostgresServer(context);
    this.backups = new PostgresBackup(context, server);
    this.replication = new PostgresReplication(context, server);
    this.configuration = new PostgresConfigurationGroup(context, server);
    this.guestLogs = new PostgresGuestLogs(context, server);
    this.upgrade = new PostgresUpgrade(context, server);
  }

  // ---- lifecycle ----

  @Override
  public void initialize() {
    server.initialize();
  }

  @Override
  public void start() {
    server.start();
  }

  @Override
  public void stop() {
    server.stop();
  }

  /** Same major: nothing; another major: pg_upgrade ({@link PostgresUpgrade}). */
  @Override
  public void upgradeFrom(DataVersion previous) {
    upgrade.upgradeFrom(previous);
  }

  @Override
  public boolean isHealthy() {
    return server.isHealthy();
  }

  @Override
  public Optional<Long> pid() {
    return server.pid();
  }

  // ---- configuration groups ----

  @Override
  public Set<String> applyConfiguration(Map<String, String> values) {
    return configuration.apply(values);
  }

  @Override
  public Map<String, String> currentConfiguration(Set<String> names) {
    return configuration.current(names);
  }

  // ---- guest logs ----

  @Override
  public List<GuestLogFile> guestLogs() {
    return guestLogs.list();
  }

  @Override
  public void setGuestLog(String name, boolean enabled) {
    guestLogs.set(name, enabled);
  }

  // ---- replication ----

  @Override
  public Map<String, String> prepareSource(SourceRequest request) {
    return replication.prepareSource(request);
  }

  @Override
  public void releaseReplica(String replicaId) {
    replication.releaseReplica(replicaId);
  }

  @Override
  public void configureReplica(ReplicaSetup setup) {
    replication.configureReplica(setup);
  }

  @Override
  public void startReplica(ReplicaSetup setup) {
    replication.startReplica(setup);
  }

  @Override
  public Optional<EngineMetrics> metrics() {
    try (Connection c = server.connectBriefly();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT coalesce(sum(numbackends), 0),"
                    + " coalesce(sum(xact_commit + xact_rollback), 0) FROM pg_stat_database")) {
      rs.next();
      return Optional.of(new EngineMetrics(rs.getLong(1), rs.getLong(2)));
    } catch (SQLException e) {
      throw EngineException.failure("cannot read pg_stat_database: " + e.getMessage(), e);
    }
  }

  @Override
  public ReplicationStatus replicationStatus() {
    return replication.replicationStatus();
  }

  @Override
  public void promote() {
    replication.promote();
  }

  @Override
  public void fence() {
    replication.fence();
  }

  @Override
  public void repoint(ReplicaSetup setup) {
    replication.repoint(setup);
  }

  // ---- backups ----

  @Override
  public boolean supportsIncremental() {
    return false;
  }

  @Override
  public BackupManifest backup(Optional<BackupManifest> parent, OutputStream out) {
    return backups.backup(parent, out);
  }

  @Override
  public void restore(List<BackupSource> chain) {
    backups.restore(chain, Optional.empty());
  }

  @Override
  public void restore(List<BackupSource> chain, RecoveryTarget target) {
    backups.restore(chain, Optional.of(target));
  }

  @Override
  public Optional<Path> logSpool() {
    return Optional.of(PostgresConfig.logSpool(context));
  }

  /** A WAL segment; its archiving moves the archive up to its last write (history files do not). */
  private static final Pattern WAL_SEGMENT = Pattern.compile("[0-9A-F]{24}");

  @Override
  public boolean marksArchiveProgress(String fileName) {
    return WAL_SEGMENT.matcher(fileName).matches();
  }

  /**
   * Commits an empty transaction, switches to a new WAL segment and waits until the archiver has
   * copied the finished one: its {@code .ready} marker disappears. The commit gives recovery to any
   * earlier moment a transaction to stop before; PostgreSQL refuses a target time with no commit
   * after it. {@code pg_walfile_name} names the segment before the switch point.
   */
  @Override
  public void flushLog() {
    String segment;
    try (Connection c = server.connect(MAINTENANCE_DB);
        Statement s = c.createStatement()) {
      // Assigning a transaction id makes this autocommitted statement write a commit record.
      s.execute("SELECT pg_current_xact_id()");
      try (ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
        rs.next();
        segment = rs.getString(1);
      }
    } catch (SQLException e) {
      throw EngineException.failure("cannot switch the WAL segment: " + e.getMessage(), e);
    }
    Path ready = context.dataDir().resolve("pg_wal/archive_status/" + segment + ".ready");
    long deadline = System.nanoTime() + FLUSH_DEADLINE.toNanos();
    while (Files.exists(ready)) {
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "WAL segment "
                + segment
                + " was not archived within "
                + FLUSH_DEADLINE.toSeconds()
                + " s; see the PostgreSQL log");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting for the WAL archiver", e);
      }
    }
  }

  /**
   * amcheck's {@code bt_index_check} on every B-tree index of every user database (PostgreSQL's own
   * structural check; the extension is created where missing), and the exact row count.
   */
  @Override
  public DataCheck checkData() {
    long rows = 0;
    int indexes = 0;
    // bt_index_check raises an error on a damaged index: that fails the drill with its message.
    for (DatabaseSpec database : listDatabases()) {
      long[] counted =
          inDatabase(
              database.name(),
              c -> {
                long total = 0;
                long checked = 0;
                try (Statement s = c.createStatement()) {
                  s.execute("CREATE EXTENSION IF NOT EXISTS amcheck");
                  List<String> tables = new ArrayList<>();
                  try (ResultSet rs =
                      s.executeQuery(
                          "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                              + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")) {
                    while (rs.next()) {
                      tables.add(rs.getString(1));
                    }
                  }
                  for (String table : tables) {
                    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                      rs.next();
                      total += rs.getLong(1);
                    }
                  }
                  try (ResultSet rs =
                      s.executeQuery(
                          "SELECT count(bt_index_check(i.indexrelid)) FROM pg_index i"
                              + " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                              + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                              + " WHERE a.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')")) {
                    rs.next();
                    checked = rs.getLong(1);
                  }
                }
                return new long[] {total, checked};
              });
      rows += counted[0];
      indexes += (int) counted[1];
    }
    return new DataCheck(true, rows, "amcheck passed on " + indexes + " B-tree indexes");
  }

  // ---- databases ----

  @Override
  public void createDatabase(DatabaseSpec database) {
    String name = database.name();
    checkDatabaseName(name);
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          if (databaseExists(c, name)) {
            throw databaseConflict(name);
          }
          StringBuilder sql =
              new StringBuilder("CREATE DATABASE ")
                  .append(ident(name))
                  .append(" WITH OWNER ")
                  .append(ident(ADMIN_USER));
          String encoding = null;
          if (database.characterSet() != null) {
            encoding = encoding(c, database.characterSet());
            sql.append(" ENCODING ").append(literal(encoding));
          }
          if (database.collate() != null) {
            if (!COLLATION.matcher(database.collate()).matches()) {
              throw EngineException.badRequest(
                  "Invalid collation \"" + database.collate() + "\" for database " + name + ".");
            }
            sql.append(" LC_COLLATE ")
                .append(literal(database.collate()))
                .append(" LC_CTYPE ")
                .append(literal(database.collate()));
          } else if (encoding != null && !encoding.equals("UTF8")) {
            // The cluster's locale is C.UTF-8, which only fits UTF8; C fits every encoding.
            sql.append(" LOCALE 'C'");
          }
          if (encoding != null || database.collate() != null) {
            // template1 carries the cluster's encoding and locale; template0 may be copied with
            // any other.
            sql.append(" TEMPLATE template0");
          }
          try {
            execute(c, sql.toString());
          } catch (SQLException e) {
            // An unknown locale (42809) or one that does not fit the encoding (22023).
            if ("42809".equals(e.getSQLState()) || "22023".equals(e.getSQLState())) {
              throw EngineException.badRequest(
                  "Cannot create database " + name + ": " + serverMessage(e) + ".");
            }
            throw e;
          }
          try {
            execute(c, "REVOKE ALL ON DATABASE " + ident(name) + " FROM PUBLIC");
            // A group left by a database of the same name that was dropped is stale.
            execute(c, "DROP ROLE IF EXISTS " + ident(accessGroup(name)));
          } catch (SQLException e) {
            execute(c, "DROP DATABASE " + ident(name));
            throw e;
          }
          return null;
        });
    ensureAccessGroup(name);
    LOG.info("database created instance={} database={}", context.instanceId(), name);
  }

  /** The canonical name of a character set the server knows, else a bad request. */
  private static String encoding(Connection c, String characterSet) throws SQLException {
    if (CHARACTER_SET.matcher(characterSet).matches()) {
      try (PreparedStatement s =
          c.prepareStatement("SELECT pg_encoding_to_char(pg_char_to_encoding(?))")) {
        s.setString(1, characterSet);
        try (ResultSet rs = s.executeQuery()) {
          if (rs.next() && !rs.getString(1).isEmpty()) {
            return rs.getString(1);
          }
        }
      }
    }
    throw EngineException.badRequest("Invalid character set \"" + characterSet + "\".");
  }

  @Override
  public void deleteDatabase(String name) {
    checkNotReservedDatabase(name);
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          if (!databaseExists(c, name)) {
            throw databaseNotFound(name);
          }
          // FORCE terminates the sessions still connected to it instead of failing.
          execute(c, "DROP DATABASE " + ident(name) + " WITH (FORCE)");
          execute(c, "DROP ROLE IF EXISTS " + ident(accessGroup(name)));
          return null;
        });
    LOG.info("database deleted instance={} database={}", context.instanceId(), name);
  }

  @Override
  public List<DatabaseSpec> listDatabases() {
    return inDatabase(
        MAINTENANCE_DB,
        c -> {
          List<DatabaseSpec> databases = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT datname, pg_encoding_to_char(encoding), datcollate FROM pg_database"
                          + " WHERE NOT datistemplate ORDER BY datname")) {
            while (rs.next()) {
              if (!DESCRIPTOR.reservedDatabases().contains(rs.getString(1))) {
                databases.add(new DatabaseSpec(rs.getString(1), rs.getString(2), rs.getString(3)));
              }
            }
          }
          return databases;
        });
  }

  // ---- users ----

  @Override
  public void createUser(UserSpec user) {
    String name = user.name();
    checkUserName(name);
    checkAnyHost(user.host());
    if (user.password() == null || user.password().isEmpty()) {
      throw EngineException.badRequest("A password is required for user " + name + ".");
    }
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          for (String database : user.databases()) {
            checkGrantable(c, database);
          }
          if (userExists(c, name)) {
            throw userConflict(name);
          }
          execute(
              c,
              "CREATE ROLE "
                  + ident(name)
                  + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT"
                  + " PASSWORD "
                  + passwordVerifier(user.password()));
          return null;
        });
    for (String database : user.databases()) {
      grant(name, database);
    }
    LOG.info(
        "user created instance={} user={} databases={}",
        context.instanceId(),
        name,
        user.databases());
  }

  @Override
  public void deleteUser(UserRef user) {
    String name = user.name();
    checkNotReservedUser(name);
    List<String> databasesWithObjects =
        inDatabase(
            MAINTENANCE_DB,
            c -> {
              if (!userExists(c, name)) {
                throw userNotFound(name);
              }
              // No new sessions, then end the open ones, so nothing holds locks on its objects.
              execute(c, "ALTER ROLE " + ident(name) + " NOLOGIN");
              terminateSessions(c, name, null);
              return databasesWithDependencies(c, name);
            });
    // Its tables stay with their database (owned by the admin); its rights and default
    // privileges go. Both are per database, so each database where it has any is visited.
    for (String database : databasesWithObjects) {
      inDatabase(
          database,
          c -> {
            execute(c, "REASSIGN OWNED BY " + ident(name) + " TO " + ident(ADMIN_USER));
            execute(c, "DROP OWNED BY " + ident(name));
            return null;
          });
    }
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          execute(c, "DROP ROLE " + ident(name));
          return null;
        });
    LOG.info("user deleted instance={} user={}", context.instanceId(), name);
  }

  /**
   * Databases where the role owns objects or holds rights, always including the maintenance one.
   */
  private static List<String> databasesWithDependencies(Connection c, String role)
      throws SQLException {
    Set<String> databases = new LinkedHashSet<>(List.of(MAINTENANCE_DB));
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid"
                + " WHERE s.refclassid = 'pg_authid'::regclass"
                + " AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = ?)"
                + " AND d.datallowconn ORDER BY 1")) {
      s.setString(1, role);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          databases.add(rs.getString(1));
        }
      }
    }
    return List.copyOf(databases);
  }

  @Override
  public List<UserInfo> listUsers() {
    return inDatabase(
        MAINTENANCE_DB,
        c -> {
          List<String> names = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolname !~ '^pg_'"
                          + " ORDER BY rolname")) {
            while (rs.next()) {
              if (!DESCRIPTOR.reservedUsers().contains(rs.getString(1))) {
                names.add(rs.getString(1));
              }
            }
          }
          List<UserInfo> users = new ArrayList<>();
          for (String name : names) {
            users.add(new UserInfo(name, "%", connectableDatabases(c, name)));
          }
          return users;
        });
  }

  @Override
  public Optional<UserInfo> findUser(UserRef user) {
    String name = user.name();
    if (DESCRIPTOR.reservedUsers().contains(name) || name.startsWith("pg_")) {
      return Optional.empty();
    }
    return inDatabase(
        MAINTENANCE_DB,
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
              if (!rs.next() || !rs.getBoolean(1)) {
                return Optional.empty();
              }
            }
          }
          return Optional.of(new UserInfo(name, "%", connectableDatabases(c, name)));
        });
  }

  /** Databases the role may connect to, directly, through a group or through PUBLIC. */
  private static List<String> connectableDatabases(Connection c, String role) throws SQLException {
    List<String> databases = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn"
                + " AND has_database_privilege(?, oid, 'CONNECT') ORDER BY datname")) {
      s.setString(1, role);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          if (!DESCRIPTOR.reservedDatabases().contains(rs.getString(1))) {
            databases.add(rs.getString(1));
          }
        }
      }
    }
    return databases;
  }

  @Override
  public void updateUser(UserUpdate update) {
    String name = update.user().name();
    checkNotReservedUser(name);
    if (update.newHost() != null && !update.newHost().equals("%")) {
      throw EngineException.unsupported(Capability.USER_HOSTS.operation(), DATASTORE);
    }
    String newName =
        update.newName() == null || update.newName().equals(name) ? null : update.newName();
    if (newName != null) {
      checkUserName(newName);
    }
    if (update.newPassword() != null && update.newPassword().isEmpty()) {
      throw EngineException.badRequest("The password must not be empty.");
    }
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          if (!userExists(c, name)) {
            throw userNotFound(name);
          }
          if (newName != null && userExists(c, newName)) {
            throw userConflict(newName);
          }
          c.setAutoCommit(false);
          // SCRAM verifiers survive a rename (MD5 hashes, salted with the name, would not).
          if (newName != null) {
            execute(c, "ALTER ROLE " + ident(name) + " RENAME TO " + ident(newName));
          }
          if (update.newPassword() != null) {
            execute(
                c,
                "ALTER ROLE "
                    + ident(newName == null ? name : newName)
                    + " WITH PASSWORD "
                    + passwordVerifier(update.newPassword()));
          }
          c.commit();
          return null;
        });
    LOG.info(
        "user updated instance={} user={} renamedTo={} password={}",
        context.instanceId(),
        name,
        newName,
        update.newPassword() == null ? "unchanged" : "changed");
  }

  @Override
  public void grantAccess(AccessChange change) {
    String name = change.user().name();
    checkNotReservedUser(name);
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          if (!userExists(c, name)) {
            throw userNotFound(name);
          }
          for (String database : change.databases()) {
            checkGrantable(c, database);
          }
          return null;
        });
    for (String database : change.databases()) {
      grant(name, database);
    }
    LOG.info(
        "access granted instance={} user={} databases={}",
        context.instanceId(),
        name,
        change.databases());
  }

  private void grant(String user, String database) {
    String group = accessGroup(database);
    ensureAccessGroup(database);
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          execute(c, "GRANT " + ident(group) + " TO " + ident(user));
          return null;
        });
    inDatabase(
        database,
        c -> {
          // What this user creates is shared with everyone granted the database.
          for (String kind : List.of("TABLES", "SEQUENCES")) {
            execute(
                c,
                "ALTER DEFAULT PRIVILEGES FOR ROLE "
                    + ident(user)
                    + " IN SCHEMA public GRANT ALL ON "
                    + kind
                    + " TO "
                    + ident(group));
          }
          return null;
        });
  }

  /**
   * Creates the database's group if it is missing and gives it the database: CONNECT and TEMP, all
   * rights on schema {@code public} (PostgreSQL 15 no longer lets PUBLIC create there), on the
   * tables already in it and on those the admin creates later. Idempotent.
   */
  private void ensureAccessGroup(String database) {
    String group = accessGroup(database);
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          if (!roleExists(c, group)) {
            execute(c, "CREATE ROLE " + ident(group) + " NOLOGIN");
          }
          execute(
              c, "GRANT CONNECT, TEMPORARY ON DATABASE " + ident(database) + " TO " + ident(group));
          return null;
        });
    inDatabase(
        database,
        c -> {
          execute(c, "GRANT ALL ON SCHEMA public TO " + ident(group));
          for (String kind : List.of("TABLES", "SEQUENCES")) {
            execute(c, "GRANT ALL ON ALL " + kind + " IN SCHEMA public TO " + ident(group));
            execute(
                c,
                "ALTER DEFAULT PRIVILEGES FOR ROLE "
                    + ident(ADMIN_USER)
                    + " IN SCHEMA public GRANT ALL ON "
                    + kind
                    + " TO "
                    + ident(group));
          }
          return null;
        });
  }

  @Override
  public void revokeAccess(AccessChange change) {
    String name = change.user().name();
    checkNotReservedUser(name);
    for (String database : change.databases()) {
      checkNotReservedDatabase(database);
    }
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          if (!userExists(c, name)) {
            throw userNotFound(name);
          }
          for (String database : change.databases()) {
            if (!databaseExists(c, database)) {
              throw databaseNotFound(database);
            }
          }
          for (String database : change.databases()) {
            String group = accessGroup(database);
            if (roleExists(c, group)) {
              execute(c, "REVOKE " + ident(group) + " FROM " + ident(name));
            }
            // Rights given directly (by root, say) would otherwise keep the door open.
            execute(c, "REVOKE ALL ON DATABASE " + ident(database) + " FROM " + ident(name));
            terminateSessions(c, name, database);
          }
          return null;
        });
    for (String database : change.databases()) {
      inDatabase(
          database,
          c -> {
            if (!roleExists(c, accessGroup(database))) {
              return null;
            }
            for (String kind : List.of("TABLES", "SEQUENCES")) {
              execute(
                  c,
                  "ALTER DEFAULT PRIVILEGES FOR ROLE "
                      + ident(name)
                      + " IN SCHEMA public REVOKE ALL ON "
                      + kind
                      + " FROM "
                      + ident(accessGroup(database)));
            }
            return null;
          });
    }
    LOG.info(
        "access revoked instance={} user={} databases={}",
        context.instanceId(),
        name,
        change.databases());
  }

  // ---- root ----

  @Override
  public RootCredentials enableRoot(Optional<String> password) {
    String secret = password.orElseGet(() -> Secrets.password(24));
    if (secret.isEmpty()) {
      throw EngineException.badRequest("The root password must not be empty.");
    }
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          String verb = roleExists(c, ROOT_USER) ? "ALTER" : "CREATE";
          execute(
              c,
              verb
                  + " ROLE "
                  + ident(ROOT_USER)
                  + " WITH SUPERUSER LOGIN PASSWORD "
                  + passwordVerifier(secret));
          return null;
        });
    LOG.info("root enabled instance={} user={}", context.instanceId(), ROOT_USER);
    return new RootCredentials(ROOT_USER, secret);
  }

  @Override
  public void disableRoot() {
    inDatabase(
        MAINTENANCE_DB,
        c -> {
          // Kept, not dropped: it may own objects that clients created as root.
          if (roleExists(c, ROOT_USER)) {
            execute(c, "ALTER ROLE " + ident(ROOT_USER) + " WITH NOLOGIN PASSWORD NULL");
            terminateSessions(c, ROOT_USER, null);
          }
          return null;
        });
    LOG.info("root disabled instance={} user={}", context.instanceId(), ROOT_USER);
  }

  @Override
  public boolean isRootEnabled() {
    return inDatabase(
        MAINTENANCE_DB,
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?")) {
            s.setString(1, ROOT_USER);
            try (ResultSet rs = s.executeQuery()) {
              return rs.next() && rs.getBoolean(1);
            }
          }
        });
  }

  // ---- SQL helpers ----

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> T inDatabase(String database, SqlWork<T> work) {
    try (Connection c = server.connect(database)) {
      return work.run(c);
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Server messages never hold a password: only SCRAM verifiers are ever sent. */
  private static EngineException translate(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = serverMessage(e);
    return switch (state) {
      case "42710" -> EngineException.conflict(message); // duplicate_object
      case "42P04" -> EngineException.conflict(message); // duplicate_database
      case "42704", "3D000" -> EngineException.notFound(message); // undefined_object, no database
      case "22023", "22P02", "42602" -> EngineException.badRequest(message); // invalid value/name
      default -> EngineException.failure("PostgreSQL failed: " + message, e);
    };
  }

  /** The server's own message, without the driver's decoration. */
  private static String serverMessage(SQLException e) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      String text = p.getServerErrorMessage().getMessage();
      if (text != null) {
        return text;
      }
    }
    return e.getMessage() == null ? String.valueOf(e.getSQLState()) : e.getMessage();
  }

  /** SQL for a password: a salted SCRAM-SHA-256 verifier, computed here; never the password. */
  private static String passwordVerifier(String password) {
    // The verifier is "SCRAM-SHA-256$<iterations>:<base64>$<base64>:<base64>", no quotes.
    return literal(PasswordUtil.encodeScramSha256(password.toCharArray()));
  }

  static String ident(String name) {
    if (name.indexOf('\0') >= 0) {
      throw EngineException.badRequest("Names must not contain NUL characters.");
    }
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /** A string literal; standard_conforming_strings is on, so only quotes need doubling. */
  static String literal(String value) {
    if (value.indexOf('\0') >= 0) {
      throw EngineException.badRequest("Values must not contain NUL characters.");
    }
    return "'" + value.replace("'", "''") + "'";
  }

  /**
   * The group role that holds access to {@code database}. Roles are cluster-wide and names are at
   * most 63 bytes; the ':' keeps it apart from every user name (user names cannot contain one), and
   * a long database name is replaced by a hash of it.
   */
  static String accessGroup(String database) {
    String name = ACCESS_GROUP_PREFIX + database;
    if (name.getBytes(StandardCharsets.UTF_8).length <= 63) {
      return name;
    }
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(database.getBytes(StandardCharsets.UTF_8));
      return ACCESS_GROUP_PREFIX + HexFormat.of().formatHex(hash, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * True if a role of this name exists and is not one of PostgreSQL's {@code pg_} roles or one of
   * the agent's access groups: those are never users, whatever a client asks.
   */
  private static boolean userExists(Connection c, String name) throws SQLException {
    return !name.startsWith("pg_") && !name.startsWith(ACCESS_GROUP_PREFIX) && roleExists(c, name);
  }

  private static boolean roleExists(Connection c, String role) throws SQLException {
    return exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", role);
  }

  private static boolean databaseExists(Connection c, String database) throws SQLException {
    return exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", database);
  }

  private static boolean exists(Connection c, String query, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(query)) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Ends the role's sessions, in one database or (null) everywhere. */
  private static void terminateSessions(Connection c, String role, String database)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ?"
                + " AND (?::text IS NULL OR datname = ?) AND pid <> pg_backend_pid()")) {
      s.setString(1, role);
      s.setString(2, database);
      s.setString(3, database);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          // one row per ended session; nothing to read
        }
      }
    }
  }

  // ---- checks ----

  private static void checkUserName(String name) {
    DESCRIPTOR
        .userNames()
        .violation(name)
        .ifPresent(
            why -> {
              throw EngineException.badRequest("User name \"" + name + "\" " + why + ".");
            });
    checkNotReservedUser(name);
  }

  private static void checkNotReservedUser(String name) {
    if (DESCRIPTOR.reservedUsers().contains(name)) {
      throw EngineException.badRequest(
          "User name \""
              + name
              + "\" is on the reserved list: "
              + DESCRIPTOR.reservedUsers()
              + ".");
    }
  }

  private static void checkDatabaseName(String name) {
    DESCRIPTOR
        .databaseNames()
        .violation(name)
        .ifPresent(
            why -> {
              throw EngineException.badRequest("Database name \"" + name + "\" " + why + ".");
            });
    checkNotReservedDatabase(name);
  }

  private static void checkNotReservedDatabase(String name) {
    if (DESCRIPTOR.reservedDatabases().contains(name)) {
      throw EngineException.badRequest(
          "Database name \""
              + name
              + "\" is on the reserved list: "
              + DESCRIPTOR.reservedDatabases()
              + ".");
    }
  }

  private static void checkAnyHost(String host) {
    if (!host.equals("%")) {
      throw EngineException.unsupported(Capability.USER_HOSTS.operation(), DATASTORE);
    }
  }

  private static void checkGrantable(Connection c, String database) throws SQLException {
    checkNotReservedDatabase(database);
    if (!databaseExists(c, database)) {
      throw databaseNotFound(database);
    }
  }

  private static EngineException userConflict(String name) {
    return EngineException.conflict("A user with the name \"" + name + "\" already exists.");
  }

  private static EngineException databaseConflict(String name) {
    return EngineException.conflict("A database with the name \"" + name + "\" already exists.");
  }

  private static EngineException userNotFound(String name) {
    return EngineException.notFound("User " + name + " cannot be found on the instance.");
  }

  private static EngineException databaseNotFound(String name) {
    return EngineException.notFound("Database " + name + " cannot be found on the instance.");
  }
}

package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogSettings;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.agent.process.Secrets;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.postgresql.util.PasswordUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL cluster as OS processes: initdb, the postmaster, its pid file, its configuration
 * files in its replication role ({@link PostgresRole}), and connections to it as the agent's admin
 * user (or, while the admin role is another instance's, as the replication account). Knows nothing
 * about users or databases.
 */
final class PostgresServer {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration RELOAD_DEADLINE = Duration.ofSeconds(30);
  private static final Duration STOP_DEADLINE = Duration.ofSeconds(60);

  /** Linux limit on a socket path (108 bytes with the terminating NUL). */
  private static final int MAX_SOCKET_PATH = 107;

  /** Replaying the WAL of a restored backup in single-user mode; bounded by the backup's size. */
  private static final Duration RECOVERY_DEADLINE = Duration.ofMinutes(60);

  /** The replication account's password, as the control plane gave it (mode 0600). */
  private static final String REPLICATION_SECRET = "replication.secret";

  /**
   * Present while the admin role in the data came from another instance (a restored backup, a
   * replica's source): the agent's own admin password does not open it.
   */
  private static final String ADMIN_PASSWORD_FOREIGN = "admin-password.foreign";

  private final EngineContext context;
  private String adminPassword;
  private PostgresRole role;

  PostgresServer(EngineContext context) {
    this.context = context;
  }

  private Path dataDir() {
    return context.dataDir();
  }

  private Path pidFile() {
    return dataDir().resolve("postmaster.pid");
  }

  boolean isInitialized() {
    return Files.exists(dataDir().resolve("PG_VERSION"));
  }

  synchronized void initialize() {
    OsProcesses.ownedDirectories(
        context.runAsUser(),
        dataDir(),
        context.runDir(),
        context.logDir(),
        PostgresConfig.logSpool(context));
    String password = adminPassword();
    if (!isInitialized()) {
      runInitdb(password);
      LOG.info("postgres initialised instance={} dataDir={}", context.instanceId(), dataDir());
    }
    writeConfiguration();
  }

  private void runInitdb(String password) {
    // initdb reads the admin password from a file only the run-as user can read; never argv.
    Path pwFile = context.runDir().resolve("initdb.pw");
    try {
      writeEngineFile(pwFile, password + "\n");
      OsProcesses.run(
          PostgresUpgrade.initdbCommand(context.binary("initdb"), dataDir(), pwFile),
          context.runAsUser(),
          Duration.ofMinutes(5),
          Map.of());
    } finally {
      try {
        Files.deleteIfExists(pwFile);
      } catch (IOException e) {
        LOG.warn("cannot delete initdb password file instance={}", context.instanceId());
      }
    }
  }

  // ---- replication role, persisted in the agent directory ----

  synchronized PostgresRole role() {
    if (role == null) {
      role = PostgresRole.load(agentDir());
    }
    return role;
  }

  synchronized void changeRole(PostgresRole newRole) {
    newRole.save(agentDir());
    role = newRole;
  }

  synchronized Optional<String> replicationPassword() {
    Path file = agentDir().resolve(REPLICATION_SECRET);
    try {
      return Files.exists(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  synchronized void saveReplicationPassword(String password) {
    if (password == null || password.isEmpty()) {
      throw EngineException.badRequest("The replication password must not be empty.");
    }
    if (replicationPassword().filter(password::equals).isPresent()) {
      return;
    }
    Path file = agentDir().resolve(REPLICATION_SECRET);
    Path tmp = agentDir().resolve(REPLICATION_SECRET + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, password);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Whether the admin role in the data is another instance's (see {@link #start}). */
  boolean isAdminPasswordForeign() {
    return Files.exists(agentDir().resolve(ADMIN_PASSWORD_FOREIGN));
  }

  void markAdminPasswordForeign(boolean foreign) {
    Path marker = agentDir().resolve(ADMIN_PASSWORD_FOREIGN);
    try {
      if (foreign) {
        if (!Files.exists(marker)) {
          Files.createFile(marker);
        }
      } else {
        Files.deleteIfExists(marker);
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot update " + marker + ": " + e.getMessage(), e);
    }
  }

  /** Rewrites the agent's settings file and pg_hba.conf; the include line is added once. */
  void writeConfiguration() {
    Path socket = context.runDir().resolve(".s.PGSQL." + context.port());
    if (socket.toString().length() > MAX_SOCKET_PATH) {
      throw EngineException.failure(
          "the socket path " + socket + " is longer than " + MAX_SOCKET_PATH + " characters");
    }
    try {
      Path main = dataDir().resolve("postgresql.conf");
      List<String> lines = Files.readAllLines(main);
      if (!lines.contains(PostgresConfig.INCLUDE_LINE)) {
        Files.writeString(
            main,
            "\n# Coffer: per-instance settings, rewritten on every start\n"
                + PostgresConfig.INCLUDE_LINE
                + "\n",
            StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot update postgresql.conf: " + e.getMessage(), e);
    }
    PostgresRole current = role();
    writeEngineFile(
        dataDir().resolve(PostgresConfig.SETTINGS_FILE), PostgresConfig.settings(context, current));
    // Always this instance's own group: a restore or pg_rewind brought the source's file.
    writeEngineFile(
        dataDir().resolve(PostgresConfigurationGroup.FILE),
        PostgresConfigurationGroup.render(PostgresConfigurationGroup.saved(agentDir())));
    writeEngineFile(
        dataDir().resolve(PostgresGuestLogs.FILE),
        PostgresGuestLogs.render(GuestLogSettings.load(agentDir())));
    writeEngineFile(dataDir().resolve("pg_hba.conf"), PostgresConfig.hostBasedAuthentication());
    writeEngineFile(
        dataDir().resolve("pg_ident.conf"),
        PostgresConfig.identMap(
            context.runAsUser().orElseGet(() -> System.getProperty("user.name"))));
    Optional<String> replicationPassword = replicationPassword();
    if (replicationPassword.isPresent()) {
      writeEngineFile(
          PostgresConfig.replicationPassFile(context),
          "*:*:*:"
              + PostgresEngineFactory.REPLICATION_USER
              + ":"
              + PostgresBackup.passFileField(replicationPassword.get())
              + "\n");
    }
    // A replica and a fenced server start in standby mode: read-only, whatever a client sets.
    Path standbySignal = dataDir().resolve("standby.signal");
    try {
      if (current.isPrimary()) {
        Files.deleteIfExists(standbySignal);
      } else if (!Files.exists(standbySignal)) {
        writeEngineFile(standbySignal, "");
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot update " + standbySignal + ": " + e.getMessage(), e);
    }
  }

  /**
   * ALTER SYSTEM settings come with a restored or rewound data directory and would override
   * coffer.conf (the server reads postgresql.auto.conf last): drop those this instance owns, keep
   * the others.
   */
  void dropInstanceSettingsFromAutoConf() {
    Path autoConf = dataDir().resolve("postgresql.auto.conf");
    if (!Files.exists(autoConf)) {
      return;
    }
    Set<String> owned = PostgresConfig.instanceSettingNames(context);
    List<String> kept = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(autoConf)) {
        int equals = line.indexOf('=');
        String name = equals > 0 ? line.substring(0, equals).strip().toLowerCase() : "";
        if (!owned.contains(name)) {
          kept.add(line);
        }
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + autoConf + ": " + e.getMessage(), e);
    }
    writeEngineFile(autoConf, String.join("\n", kept) + "\n");
  }

  /**
   * Gives the agent's admin user this instance's password in a single-user backend (no network, no
   * pg_hba.conf), with the server stopped. Starting it also replays a restored backup's WAL and
   * ends with a shutdown checkpoint. Only the SCRAM verifier goes to the backend, on stdin; an
   * error ends the backend (exit_on_error) and the statement is not logged
   * (log_min_error_statement).
   */
  private void resetAdminPasswordOffline() {
    OsProcesses.run(
        List.of(
            context.binary("server"),
            "--single",
            "-D",
            dataDir().toString(),
            "-c",
            "exit_on_error=on",
            "-c",
            "log_min_error_statement=panic",
            "postgres"),
        context.runAsUser(),
        RECOVERY_DEADLINE,
        Map.of(),
        adminPasswordStatement() + "\n");
    markAdminPasswordForeign(false);
    LOG.info("postgres admin password reset instance={}", context.instanceId());
  }

  /** The same on the running server, over the socket as the admin by peer authentication. */
  void resetAdminPasswordOnline() {
    runAsAdmin(adminPasswordStatement() + ";\n");
    markAdminPasswordForeign(false);
    LOG.info("postgres admin password reset instance={}", context.instanceId());
  }

  private String adminPasswordStatement() {
    String verifier = PasswordUtil.encodeScramSha256(adminPassword().toCharArray());
    return "ALTER ROLE "
        + PostgresEngine.ident(PostgresEngineFactory.ADMIN_USER)
        + " WITH SUPERUSER LOGIN REPLICATION PASSWORD "
        + PostgresEngine.literal(verifier);
  }

  /**
   * Runs SQL (on stdin, never argv) as the admin with psql over the socket, as the run-as user:
   * peer authentication, so it works whatever the admin role's password is.
   */
  void runAsAdmin(String sql) {
    OsProcesses.run(
        List.of(
            context.binary("psql"),
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--host=" + context.runDir(),
            "--port=" + context.port(),
            "--username=" + PostgresEngineFactory.ADMIN_USER,
            "--dbname=postgres"),
        context.runAsUser(),
        Duration.ofSeconds(60),
        Map.of(
            "PGCONNECT_TIMEOUT",
            "10",
            "PGOPTIONS",
            PostgresConfig.ADMIN_SESSION_OPTIONS + " -c log_min_error_statement=panic"),
        sql);
  }

  /** Makes the running server read its configuration files again. */
  void reload() {
    if (pid().isPresent()) {
      pgCtl("reload");
    }
  }

  /**
   * Signals the server to read its files again and waits until {@code session} has (its {@code
   * pg_conf_load_time} moves on), so that the session's next statement sees the new values.
   */
  void reloadAndWait(Statement session) throws SQLException {
    Timestamp before = loadTime(session);
    reload();
    long deadline = System.nanoTime() + RELOAD_DEADLINE.toNanos();
    while (!loadTime(session).after(before)) {
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "PostgreSQL did not reload its configuration within "
                + RELOAD_DEADLINE.toSeconds()
                + " s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting for the reload", e);
      }
    }
  }

  private static Timestamp loadTime(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT pg_conf_load_time()")) {
      rs.next();
      return rs.getTimestamp(1);
    }
  }

  /** pg_ctl as the run-as user, for example {@code promote --wait}. */
  void pgCtl(String... arguments) {
    List<String> command = new ArrayList<>(List.of(context.binary("pg_ctl")));
    command.addAll(List.of(arguments));
    command.addAll(List.of("-D", dataDir().toString()));
    OsProcesses.run(command, context.runAsUser(), Duration.ofMinutes(2), Map.of());
  }

  synchronized void start() {
    if (!isInitialized()) {
      throw EngineException.failure("PostgreSQL is not initialised in " + dataDir());
    }
    Optional<Long> running = pid();
    if (running.isPresent()) {
      // A previous agent left the server running: adopt it instead of starting a second one.
      awaitConnectable(Optional.empty());
      LOG.info("postgres adopted instance={} pid={}", context.instanceId(), running.get());
      return;
    }
    writeConfiguration();
    if (role().isPrimary() && isAdminPasswordForeign()) {
      // A restored primary: its admin role is the backup's until it gets this instance's
      // password. A replica never writes anything of its own; it gets it when promoted.
      resetAdminPasswordOffline();
    }
    Path out = context.logDir().resolve("postgres.out");
    // setsid: the server gets its own session, so a signal aimed at the agent's terminal or
    // process group (Ctrl-C) does not shut the database down with it.
    Process process =
        OsProcesses.spawn(
            List.of("setsid", context.binary("server"), "-D", dataDir().toString()),
            context.runAsUser(),
            out,
            Map.of());
    awaitConnectable(Optional.of(process));
    LOG.info(
        "postgres started instance={} pid={}",
        context.instanceId(),
        pid().map(String::valueOf).orElse("?"));
  }

  private void awaitConnectable(Optional<Process> spawned) {
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (spawned.isPresent() && !spawned.get().isAlive()) {
        throw EngineException.failure(
            "postgres exited during start-up with code "
                + spawned.get().exitValue()
                + ": "
                + logTail(context.logDir().resolve("postgres.out")));
      }
      try (Connection c = connect("postgres", Duration.ofSeconds(2))) {
        if (c.isValid(2)) {
          return;
        }
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting for postgres", e);
      }
    }
    throw EngineException.failure(
        "postgres did not accept connections within "
            + START_DEADLINE.toSeconds()
            + " s"
            + (last == null ? "" : ": " + last.getMessage()),
        last);
  }

  synchronized void stop() {
    Optional<Long> running = pid();
    if (running.isEmpty()) {
      return;
    }
    long pid = running.get();
    // Fast shutdown: roll back open transactions and disconnect clients, then a clean checkpoint.
    // pg_ctl returns at once; we wait for the postmaster itself to exit.
    signal("fast");
    if (!OsProcesses.waitForExit(pid, STOP_DEADLINE)) {
      LOG.warn("postgres ignored fast shutdown instance={} pid={}", context.instanceId(), pid);
      signal("immediate");
      OsProcesses.terminate(pid, Duration.ofSeconds(10));
    }
    LOG.info("postgres stopped instance={} pid={}", context.instanceId(), pid);
  }

  private void signal(String mode) {
    try {
      OsProcesses.run(
          List.of(
              context.binary("pg_ctl"),
              "stop",
              "-D",
              dataDir().toString(),
              "-m",
              mode,
              "--no-wait"),
          context.runAsUser(),
          Duration.ofSeconds(30),
          Map.of());
    } catch (EngineException e) {
      // The server may have exited between our pid check and pg_ctl; the wait below decides.
      LOG.warn(
          "pg_ctl stop -m {} failed instance={}: {}", mode, context.instanceId(), e.getMessage());
    }
  }

  /** The postmaster's PID from its pid file, if that process is alive and is a postgres. */
  Optional<Long> pid() {
    return OsProcesses.readPid(pidFile()).filter(PostgresServer::isPostgres);
  }

  private static boolean isPostgres(long pid) {
    Optional<ProcessHandle> handle =
        ProcessHandle.of(pid).filter(h -> OsProcesses.isAlive(h.pid()));
    if (handle.isEmpty()) {
      return false;
    }
    // After a reboot the pid in a stale file may belong to an unrelated process.
    return handle.get().info().command().map(command -> command.endsWith("/postgres")).orElse(true);
  }

  boolean isHealthy() {
    if (pid().isEmpty()) {
      return false;
    }
    try (Connection c = connect("postgres", Duration.ofSeconds(2));
        Statement s = c.createStatement()) {
      s.setQueryTimeout(5);
      return s.execute("SELECT 1");
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  /** A connection to {@code database} as the agent's admin user, over the instance's address. */
  Connection connect(String database) throws SQLException {
    return connect(database, Duration.ofSeconds(10));
  }

  /** A connection for a quick look (replication status): short login and query timeouts. */
  Connection connectBriefly() throws SQLException {
    return connect("postgres", Duration.ofSeconds(2), Duration.ofSeconds(5));
  }

  private Connection connect(String database, Duration loginTimeout) throws SQLException {
    return connect(database, loginTimeout, Duration.ofSeconds(300));
  }

  /**
   * As the admin, unless the admin role in the data is another instance's (a replica, or a replica
   * being promoted): then as the replication account, which holds pg_monitor and reads everything a
   * replica's agent needs. A replica refuses writes anyway.
   */
  private Connection connect(String database, Duration loginTimeout, Duration socketTimeout)
      throws SQLException {
    Properties props = new Properties();
    Optional<String> replicationPassword =
        isAdminPasswordForeign() ? replicationPassword() : Optional.empty();
    if (replicationPassword.isPresent()) {
      props.setProperty("user", PostgresEngineFactory.REPLICATION_USER);
      props.setProperty("password", replicationPassword.get());
      props.setProperty("options", PostgresConfig.AGENT_SESSION_OPTIONS);
    } else {
      props.setProperty("user", PostgresEngineFactory.ADMIN_USER);
      props.setProperty("password", adminPassword());
      props.setProperty("options", PostgresConfig.ADMIN_SESSION_OPTIONS);
    }
    props.setProperty("connectTimeout", String.valueOf(loginTimeout.toSeconds()));
    props.setProperty("loginTimeout", String.valueOf(loginTimeout.toSeconds()));
    props.setProperty("socketTimeout", String.valueOf(socketTimeout.toSeconds()));
    props.setProperty("sslmode", "disable");
    props.setProperty("ApplicationName", "coffer-agent");
    return DriverManager.getConnection(url(database), props);
  }

  String url(String database) {
    return "jdbc:postgresql://"
        + context.bindAddress()
        + ":"
        + context.port()
        + "/"
        + URLEncoder.encode(database, StandardCharsets.UTF_8);
  }

  /** The agent's own directory (mode 0700), created if missing. */
  Path agentDir() {
    Path agentDir = context.agentDir();
    try {
      if (!Files.exists(agentDir)) {
        Files.createDirectories(
            agentDir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot create " + agentDir + ": " + e.getMessage(), e);
    }
    return agentDir;
  }

  synchronized String adminPassword() {
    if (adminPassword == null) {
      Path agentDir = context.agentDir();
      try {
        if (!Files.exists(agentDir)) {
          Files.createDirectories(
              agentDir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
      } catch (IOException e) {
        throw EngineException.failure("cannot create " + agentDir + ": " + e.getMessage(), e);
      }
      adminPassword = Secrets.readOrCreate(agentDir.resolve("admin.secret"));
    }
    return adminPassword;
  }

  /** Writes a file (mode 0600) that the server, running as the run-as user, reads. */
  void writeEngineFile(Path file, String content) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, content);
      if (context.runAsUser().isPresent() && OsProcesses.isRoot()) {
        String user = context.runAsUser().get();
        UserPrincipalLookupService lookup = tmp.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        view.setOwner(lookup.lookupPrincipalByName(user));
        view.setGroup(lookup.lookupPrincipalByGroupName(user));
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static String logTail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no output in " + log + ")";
    }
  }
}

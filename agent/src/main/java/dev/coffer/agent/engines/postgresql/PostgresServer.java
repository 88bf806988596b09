package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
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
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL cluster as OS processes: initdb, the postmaster, its pid file, and connections to
 * it as the agent's admin user. Knows nothing about users or databases.
 */
final class PostgresServer {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration STOP_DEADLINE = Duration.ofSeconds(60);

  /** Linux limit on a socket path (108 bytes with the terminating NUL). */
  private static final int MAX_SOCKET_PATH = 107;

  private final EngineContext context;
  private String adminPassword;

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
          List.of(
              context.binary("initdb"),
              "--pgdata=" + dataDir(),
              "--username=" + PostgresEngineFactory.ADMIN_USER,
              "--pwfile=" + pwFile,
              "--auth-host=scram-sha-256",
              "--auth-local=scram-sha-256",
              "--encoding=UTF8",
              "--locale=C.UTF-8",
              "--no-instructions"),
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
    writeEngineFile(
        dataDir().resolve(PostgresConfig.SETTINGS_FILE), PostgresConfig.settings(context));
    writeEngineFile(dataDir().resolve("pg_hba.conf"), PostgresConfig.hostBasedAuthentication());
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

  private Connection connect(String database, Duration loginTimeout) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", PostgresEngineFactory.ADMIN_USER);
    props.setProperty("password", adminPassword());
    props.setProperty("connectTimeout", String.valueOf(loginTimeout.toSeconds()));
    props.setProperty("loginTimeout", String.valueOf(loginTimeout.toSeconds()));
    props.setProperty("socketTimeout", "300");
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

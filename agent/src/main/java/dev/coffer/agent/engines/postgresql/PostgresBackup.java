package dev.coffer.agent.engines.postgresql;

import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.DATASTORE;

import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupEngine.LogArchiveReader;
import dev.coffer.agent.engine.BackupEngine.RecoveryTarget;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.process.OsProcesses;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Physical backups of one PostgreSQL cluster: {@code pg_basebackup} as a single tar stream, and
 * restore by extracting that stream into an empty data directory.
 *
 * <p>A backup is {@code pg_basebackup -D - -Ft -X fetch}: one tar on stdout holding the data
 * directory, the WAL from the backup's start to its end (so the copy is consistent on its own) and
 * the backup_manifest. Only this combination fits one stream: {@code -X stream} writes WAL to a
 * second tar and is refused with {@code -D -}, {@code -X none} leaves a copy that needs a WAL
 * archive, and {@code -D -} refuses clusters with more than the default tablespaces (Coffer never
 * creates any; a superuser could, so that is checked first with a clear message).
 *
 * <p>Restoring replaces the data directory, then gives it back this instance's identity: its own
 * settings files (address, port, socket directory, memory) and its own admin password. The restored
 * {@code pg_authid} is the source's, so the next start as a primary resets the admin password in
 * single-user mode first ({@link PostgresServer#start}), which also replays the backup's WAL.
 * Single-user mode needs no network and no relaxed pg_hba.conf, so nothing can log in while the
 * password is wrong. A restore that seeds a replica never resets it: the replica must not write
 * anything of its own (see {@link PostgresReplication}).
 *
 * <h2>Point-in-time recovery</h2>
 *
 * <p>Every instance archives its WAL: {@link PostgresConfig#archiveCommand} copies each finished
 * segment (and timeline history file) into the instance's spool, and the agent ships the spool to
 * the backup store, sealed like a backup. {@code archive_timeout} closes a segment with changes in
 * it at least every {@value PostgresConfig#ARCHIVE_TIMEOUT_SECONDS} s.
 *
 * <p>A restore to a time extracts the base backup as above, fetches the archived WAL from the
 * backup's start segment on into a directory of the instance, and runs the server once with {@code
 * recovery.signal}, a {@code restore_command} reading that directory, {@code recovery_target_time}
 * and {@code recovery_target_action = 'promote'}, listening on no TCP address. PostgreSQL replays
 * up to the target, promotes onto a new timeline and removes {@code recovery.signal}; the agent
 * then stops it; its admin password is reset as for any restore. Recovery settings are given on
 * that one command line, so nothing is left in the configuration. A target the archive does not
 * reach, or one before the backup's end, stops the server with PostgreSQL's own message, which
 * fails the restore.
 */
final class PostgresBackup {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackup.class);

  static final String FORMAT = "tar";
  static final String START_LSN = "start_lsn";
  static final String STOP_LSN = "stop_lsn";
  static final String TIMELINE = "timeline";

  /** Bytes in flight between a process and the caller's stream: the only copy held in memory. */
  private static final int BUFFER_BYTES = 256 * 1024;

  private static final Duration EXIT_DEADLINE = Duration.ofMinutes(2);

  /** Replaying the WAL written during the backup; bounded by the backup's own duration. */
  private static final Duration RECOVERY_DEADLINE = Duration.ofMinutes(60);

  /** {@code pg_basebackup: write-ahead log start point: 0/2000028 on timeline 1}. */
  private static final Pattern START_POINT =
      Pattern.compile("write-ahead log start point: ([0-9A-F]+/[0-9A-F]+) on timeline (\\d+)");

  /** {@code pg_basebackup: write-ahead log end point: 0/2000100}. */
  private static final Pattern END_POINT =
      Pattern.compile("write-ahead log end point: ([0-9A-F]+/[0-9A-F]+)");

  /** Files of the source's running server or of its backup that must not reach this instance. */
  private static final List<String> SOURCE_LEFTOVERS =
      List.of("postmaster.pid", "postmaster.opts", "backup_manifest");

  private final EngineContext context;
  private final PostgresServer server;

  PostgresBackup(EngineContext context, PostgresServer server) {
    this.context = context;
    this.server = server;
  }

  // ---- backup ----

  BackupManifest backup(Optional<BackupManifest> parent, OutputStream out) {
    if (parent.isPresent()) {
      throw EngineException.unsupported("incremental backup", DATASTORE);
    }
    if (server.pid().isEmpty()) {
      throw EngineException.failure("PostgreSQL is not running; start it before a backup");
    }
    String binary = context.binary("pg_basebackup");
    Path passFile = context.runDir().resolve("backup.pgpass");
    // This session holds a temporary slot for the whole backup and drops it when it ends, even if
    // the agent dies.
    try (Connection session = server.connect("postgres")) {
      checkNoExtraTablespaces(session);
      reserveWal(session);
      // libpq reads the password from a 0600 file of the run-as user; never argv or a log.
      server.writeEngineFile(
          passFile, "*:*:*:" + ADMIN_USER + ":" + passFileField(server.adminPassword()) + "\n");
      List<String> stderr =
          streamStdout(
              List.of(
                  binary,
                  "--host=" + context.runDir(),
                  "--port=" + context.port(),
                  "--username=" + ADMIN_USER,
                  "--no-password",
                  "--pgdata=-",
                  "--format=tar",
                  "--wal-method=fetch",
                  // Start at once instead of waiting for a spread checkpoint (minutes).
                  "--checkpoint=fast",
                  "--label=coffer " + context.instanceId(),
                  "--verbose"),
              Map.of(
                  "PGPASSFILE",
                  passFile.toString(),
                  "PGOPTIONS",
                  PostgresConfig.AGENT_SESSION_OPTIONS),
              out);
      BackupManifest manifest = manifest(stderr);
      LOG.info(
          "postgres backup written instance={} start_lsn={} stop_lsn={} timeline={}",
          context.instanceId(),
          manifest.position().get(START_LSN),
          manifest.position().get(STOP_LSN),
          manifest.position().get(TIMELINE));
      return manifest;
    } catch (SQLException e) {
      throw EngineException.failure("cannot prepare the backup: " + e.getMessage(), e);
    } finally {
      deleteQuietly(passFile);
    }
  }

  /** {@code pg_basebackup -D -} can write only the default tablespaces to one stream. */
  private static void checkNoExtraTablespaces(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_tablespace"
                    + " WHERE spcname NOT IN ('pg_default', 'pg_global')")) {
      rs.next();
      if (rs.getLong(1) > 0) {
        throw EngineException.failure(
            "PostgreSQL backups support only the default tablespaces; drop the others first");
      }
    }
  }

  /**
   * Keeps the server from recycling WAL the backup still has to fetch at its end: {@code -X fetch}
   * collects it last, and a checkpoint during a long backup would otherwise remove it and fail the
   * backup. A temporary physical slot reserving WAL starts at the last checkpoint's redo point,
   * before the backup's own start point, and lives only as long as this session.
   */
  private static void reserveWal(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT pg_create_physical_replication_slot("
                    + "'coffer_backup_' || pg_backend_pid(), true, true)")) {
      rs.next();
    }
  }

  /** A .pgpass field: ':' and '\' are escaped with '\'. */
  static String passFileField(String value) {
    return value.replace("\\", "\\\\").replace(":", "\\:");
  }

  /** The positions pg_basebackup reports with --verbose. */
  static BackupManifest manifest(List<String> stderr) {
    String start = null;
    String timeline = null;
    String stop = null;
    for (String line : stderr) {
      Matcher m = START_POINT.matcher(line);
      if (m.find()) {
        start = m.group(1);
        timeline = m.group(2);
      }
      m = END_POINT.matcher(line);
      if (m.find()) {
        stop = m.group(1);
      }
    }
    if (start == null || stop == null) {
      throw EngineException.failure(
          "pg_basebackup did not report its WAL positions: " + String.join(" | ", stderr));
    }
    return new BackupManifest(FORMAT, Map.of(START_LSN, start, TIMELINE, timeline, STOP_LSN, stop));
  }

  /**
   * Runs {@code command} as the run-as user and copies its stdout to {@code out} through one
   * bounded buffer. Returns its stderr lines once it exited with 0.
   */
  private List<String> streamStdout(
      List<String> command, Map<String, String> env, OutputStream out) {
    ProcessBuilder builder =
        processBuilder(command, env)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process process = start(builder, command);
    StderrTail stderr = StderrTail.drain(process);
    String tool = toolName(command);
    try {
      byte[] buffer = new byte[BUFFER_BYTES];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          try {
            out.write(buffer, 0, n);
          } catch (IOException e) {
            throw EngineException.failure("cannot write the backup: " + e.getMessage(), e);
          }
        }
      }
      int exit = awaitExit(process, tool);
      List<String> lines = stderr.lines();
      if (exit != 0) {
        throw EngineException.failure(
            tool + " failed with exit code " + exit + ": " + String.join(" | ", lines));
      }
      return lines;
    } catch (IOException e) {
      throw EngineException.failure("cannot read from " + tool + ": " + e.getMessage(), e);
    } finally {
      // A failed sink or reader leaves the tool blocked on a full pipe: end it.
      destroy(process);
    }
  }

  // ---- restore ----

  void restore(List<BackupSource> chain, Optional<RecoveryTarget> target) {
    if (chain.isEmpty()) {
      throw EngineException.badRequest("There is no backup to restore.");
    }
    if (chain.size() > 1) {
      throw EngineException.unsupported("incremental backup", DATASTORE);
    }
    BackupSource full = chain.get(0);
    if (!FORMAT.equals(full.manifest().format())) {
      throw EngineException.badRequest(
          "A PostgreSQL backup has format '"
              + FORMAT
              + "', not '"
              + full.manifest().format()
              + "'.");
    }
    if (server.pid().isPresent()) {
      throw EngineException.failure("PostgreSQL must be stopped before a restore");
    }
    Path dataDir = context.dataDir();
    OsProcesses.ownedDirectories(
        context.runAsUser(),
        dataDir,
        context.runDir(),
        context.logDir(),
        PostgresConfig.logSpool(context));
    boolean restored = false;
    try {
      emptyDirectory(dataDir);
      try (InputStream in = full.open()) {
        extract(in, dataDir);
      } catch (IOException e) {
        throw EngineException.failure("cannot read the backup: " + e.getMessage(), e);
      }
      if (!server.isInitialized()) {
        throw EngineException.failure("the backup holds no PostgreSQL data directory");
      }
      for (String leftover : SOURCE_LEFTOVERS) {
        Files.deleteIfExists(dataDir.resolve(leftover));
      }
      server.writeConfiguration();
      server.dropInstanceSettingsFromAutoConf();
      if (target.isPresent()) {
        recoverTo(target.get(), full.manifest());
      }
      // The admin role is the source's: the next start as a primary gives it this instance's
      // password (PostgresServer#start). Not here, because a replica of the source must not write
      // anything of its own, and only configureReplica, after the restore, tells that.
      server.markAdminPasswordForeign(true);
      restored = true;
      LOG.info(
          "postgres restored instance={} start_lsn={} stop_lsn={}",
          context.instanceId(),
          full.manifest().position().get(START_LSN),
          full.manifest().position().get(STOP_LSN));
    } catch (IOException e) {
      throw EngineException.failure("cannot restore into " + dataDir + ": " + e.getMessage(), e);
    } finally {
      if (!restored) {
        // Half a data directory must never be started; an empty one is plainly not initialised.
        try {
          emptyDirectory(dataDir);
        } catch (IOException | UncheckedIOException e) {
          LOG.warn(
              "cannot empty the data directory after a failed restore instance={}: {}",
              context.instanceId(),
              e.getMessage());
        }
      }
    }
  }

  // ---- point-in-time recovery ----

  /** A WAL segment file name: timeline, then the segment's log and number (16 MB segments). */
  private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");

  private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");

  /** The postmaster's log line once the startup process has finished (after promotion). */
  private static final String READY = "database system is ready to accept connections";

  private static final DateTimeFormatter TARGET_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(ZoneOffset.UTC);

  /**
   * Replays the source's archived WAL from the backup's start up to the target's time, then lets
   * the server promote. See the class comment.
   */
  private void recoverTo(RecoveryTarget target, BackupManifest base) throws IOException {
    Path walDir = context.instanceDir().resolve("wal-restore");
    Path signal = context.dataDir().resolve("recovery.signal");
    try {
      List<String> fetched = fetchWal(target.archive(), base.position().get(START_LSN), walDir);
      server.writeEngineFile(signal, "");
      List<String> command =
          new ArrayList<>(
              List.of(
                  context.binary("server"),
                  "-D",
                  context.dataDir().toString(),
                  "-c",
                  "listen_addresses=",
                  "-c",
                  "logging_collector=off",
                  "-c",
                  "restore_command=cp \"" + walDir + "/%f\" \"%p\"",
                  "-c",
                  "recovery_target_timeline=latest"));
      Optional<Instant> lastCommit = lastCommitTime(walDir, fetched);
      // PostgreSQL stops at the first commit after the target time and refuses a target with no
      // commit after it; when every archived commit is before the target, replaying all of the
      // archive is exactly the state at that time.
      if (lastCommit.isPresent() && target.time().isBefore(lastCommit.get())) {
        command.addAll(
            List.of(
                "-c",
                "recovery_target_time=" + TARGET_TIME.format(target.time()),
                "-c",
                "recovery_target_action=promote"));
      }
      Process process =
          start(
              processBuilder(command, Map.of()).redirectOutput(ProcessBuilder.Redirect.DISCARD),
              command);
      StderrTail stderr = StderrTail.drain(process);
      try {
        awaitPromotion(process, signal, stderr);
        process.destroy(); // SIGTERM: a smart shutdown, with a shutdown checkpoint
        int exit = awaitExit(process, "postgres");
        if (exit != 0) {
          throw EngineException.failure(
              "PostgreSQL did not shut down cleanly after recovery: "
                  + String.join(" | ", stderr.lines()));
        }
      } finally {
        destroy(process);
      }
      LOG.info(
          "postgres recovered to a point in time instance={} target={} wal_files={} detail=\"{}\"",
          context.instanceId(),
          target.time(),
          fetched.size(),
          stderr.lines().stream()
              .filter(line -> line.contains("recovery stopping") || line.contains("last completed"))
              .findFirst()
              .orElse(""));
    } finally {
      Files.deleteIfExists(signal);
      deleteTree(walDir);
    }
  }

  /**
   * Copies the archive's history files and every segment from the backup's first one on (of any
   * timeline) into {@code walDir}, owned by the run-as user. Returns how many.
   */
  private List<String> fetchWal(LogArchiveReader archive, String startLsn, Path walDir)
      throws IOException {
    String first = segmentOf(startLsn);
    deleteTree(walDir);
    Files.createDirectories(walDir);
    List<String> fetched = new ArrayList<>();
    for (String name : archive.names()) {
      boolean needed =
          HISTORY.matcher(name).matches()
              || SEGMENT.matcher(name).matches() && name.substring(8).compareTo(first) >= 0;
      if (needed) {
        archive.copy(name, walDir.resolve(name));
        fetched.add(name);
      }
    }
    OsProcesses.ownedDirectories(context.runAsUser(), walDir);
    return fetched;
  }

  /** {@code desc: COMMIT 2026-11-25 17:23:33.117897 UTC} in pg_waldump's output (TZ=UTC). */
  private static final Pattern COMMIT_RECORD =
      Pattern.compile("desc: COMMIT (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?)");

  private static final DateTimeFormatter WALDUMP_TIME =
      new DateTimeFormatterBuilder()
          .appendPattern("yyyy-MM-dd HH:mm:ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
          .optionalEnd()
          .toFormatter()
          .withZone(ZoneOffset.UTC);

  /**
   * The time of the newest commit in the fetched segments, read with pg_waldump from the newest
   * segment backwards; empty if there is none (or no pg_waldump).
   */
  private Optional<Instant> lastCommitTime(Path walDir, List<String> fetched) {
    if (!context.binaries().containsKey("pg_waldump")) {
      return Optional.empty();
    }
    List<String> segments =
        fetched.stream().filter(name -> SEGMENT.matcher(name).matches()).sorted().toList();
    for (int i = segments.size() - 1; i >= 0; i--) {
      List<String> command =
          List.of(
              context.binary("pg_waldump"),
              "--rmgr=Transaction",
              walDir.resolve(segments.get(i)).toString());
      Process process =
          start(
              processBuilder(command, Map.of("TZ", "UTC"))
                  .redirectError(ProcessBuilder.Redirect.DISCARD),
              command);
      Instant newest = null;
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          Matcher m = COMMIT_RECORD.matcher(line);
          if (m.find()) {
            newest = WALDUMP_TIME.parse(m.group(1), Instant::from);
          }
        }
        // pg_waldump ends with an error at the end of the WAL written so far: expected.
        awaitExit(process, "pg_waldump");
      } catch (IOException e) {
        throw EngineException.failure("cannot read pg_waldump's output: " + e.getMessage(), e);
      } finally {
        destroy(process);
      }
      if (newest != null) {
        return Optional.of(newest);
      }
    }
    return Optional.empty();
  }

  /** The log and segment part of the WAL file holding {@code lsn} ({@code 0/2000028} → 0…02). */
  static String segmentOf(String lsn) {
    int slash = lsn.indexOf('/');
    long high = Long.parseLong(lsn.substring(0, slash), 16);
    long low = Long.parseLong(lsn.substring(slash + 1), 16);
    return "%08X%08X".formatted(high, low >>> 24);
  }

  /**
   * Waits until recovery has ended and the promoted server runs: PostgreSQL removes recovery.signal
   * when it leaves recovery, but only once the postmaster says it accepts connections is the new
   * timeline durable. Stopping it before that would let the next start replay the old timeline's
   * WAL past the target.
   */
  private void awaitPromotion(Process process, Path signal, StderrTail stderr) {
    long deadline = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
    while (Files.exists(signal) || !stderr.contains(READY)) {
      if (!process.isAlive()) {
        List<String> lines = stderr.lines();
        String reason =
            lines.stream()
                .filter(line -> line.contains("FATAL") || line.contains("PANIC"))
                .map(line -> line.replaceFirst("^.*?(FATAL|PANIC):\\s*", ""))
                .reduce((a, b) -> b)
                .orElse(String.join(" | ", lines));
        throw EngineException.badRequest(
            "The instance cannot be recovered to the requested time: " + reason);
      }
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "recovery did not finish within " + RECOVERY_DEADLINE.toMinutes() + " minutes");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting for recovery", e);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  /**
   * Extracts the tar stream with GNU tar as the run-as user, so every file belongs to that user and
   * member names with '..' or a leading '/' cannot leave the directory (tar refuses them). Reads
   * {@code in} to its end even if tar stops at the end-of-archive marker, so a source that verifies
   * a checksum at the end sees every byte.
   */
  private void extract(InputStream in, Path dataDir) throws IOException {
    List<String> command = List.of("tar", "--extract", "--file=-", "--directory=" + dataDir);
    ProcessBuilder builder =
        processBuilder(command, Map.of()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = start(builder, command);
    StderrTail stderr = StderrTail.drain(process);
    try {
      byte[] buffer = new byte[BUFFER_BYTES];
      boolean tarReading = true;
      OutputStream tarInput = process.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (tarReading) {
          try {
            tarInput.write(buffer, 0, n);
          } catch (IOException closedByTar) {
            tarReading = false;
          }
        }
      }
      try {
        tarInput.close();
      } catch (IOException closedByTar) {
        // tar already ended; its exit code tells whether that was the archive's end or an error
      }
      int exit = awaitExit(process, "tar");
      if (exit != 0) {
        throw EngineException.failure(
            "cannot extract the backup: tar exited with code "
                + exit
                + ": "
                + String.join(" | ", stderr.lines()));
      }
    } finally {
      destroy(process);
    }
  }

  /**
   * Deletes everything inside {@code dir} and leaves it empty with mode 0700, as postgres wants.
   */
  private static void emptyDirectory(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        if (!path.equals(dir)) {
          Files.delete(path);
        }
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  // ---- processes ----

  /**
   * The command as the run-as user, in the run directory (the agent's working directory may be
   * closed to that user), in the C locale (stderr is parsed), without the agent's libpq settings.
   */
  private ProcessBuilder processBuilder(List<String> command, Map<String, String> env) {
    ProcessBuilder builder =
        new ProcessBuilder(OsProcesses.asUser(command, context.runAsUser()))
            .directory(context.runDir().toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
    builder.environment().put("LC_ALL", "C");
    builder.environment().putAll(env);
    return builder;
  }

  private static Process start(ProcessBuilder builder, List<String> command) {
    try {
      return builder.start();
    } catch (IOException e) {
      throw EngineException.failure("cannot start " + toolName(command) + ": " + e.getMessage(), e);
    }
  }

  private static int awaitExit(Process process, String tool) {
    try {
      if (!process.waitFor(EXIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw EngineException.failure(
            tool + " did not exit within " + EXIT_DEADLINE.toSeconds() + " s");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for " + tool, e);
    }
  }

  private static void destroy(Process process) {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String toolName(List<String> command) {
    return Path.of(command.get(0)).getFileName().toString();
  }

  private void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete {} instance={}", file.getFileName(), context.instanceId());
    }
  }

  /** The last lines a process wrote to stderr, read on a thread so the process never blocks. */
  private static final class StderrTail {
    private static final int MAX_LINES = 100;
    private final Deque<String> lines = new ArrayDeque<>();
    private final Thread reader;

    private StderrTail(Process process) {
      this.reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    synchronized (lines) {
                      if (lines.size() == MAX_LINES) {
                        lines.removeFirst();
                      }
                      lines.addLast(line);
                    }
                  }
                } catch (IOException e) {
                  // the process ended or was destroyed; what was read so far is kept
                }
              },
              "stderr-" + process.pid());
      reader.setDaemon(true);
    }

    static StderrTail drain(Process process) {
      StderrTail tail = new StderrTail(process);
      tail.reader.start();
      return tail;
    }

    /** Whether a line read so far contains {@code text}; does not wait. */
    boolean contains(String text) {
      synchronized (lines) {
        return lines.stream().anyMatch(line -> line.contains(text));
      }
    }

    /** The lines read until the process closed stderr (or a short wait after it exited). */
    List<String> lines() {
      try {
        reader.join(Duration.ofSeconds(5).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (lines) {
        return List.copyOf(lines);
      }
    }
  }
}

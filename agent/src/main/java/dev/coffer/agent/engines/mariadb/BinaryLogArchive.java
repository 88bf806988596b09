package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.BackupEngine.LogArchiveReader;
import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's binary log as the change log of point-in-time recovery.
 *
 * <p>MariaDB has no {@code archive_command}: the agent itself copies each closed binary log file
 * from the data directory into the spool (under a hidden name, synced, then renamed, so the shipper
 * only ever sees whole files), keeping its modification time, which is the time of its last write;
 * then it purges the copied files from the server. A file that holds changes is closed ({@code
 * FLUSH BINARY LOGS}) once it has been open for {@link #ROTATE_AFTER}: that is the recovery point
 * objective, like PostgreSQL's {@code archive_timeout}.
 *
 * <p>A backup records where in the binary log it ends; a restore to a time replays the archived
 * files from there with {@code mariadb-binlog --start-position … --stop-datetime …}. Binary log
 * events carry whole-second timestamps, so the target time counts to the second: the changes of the
 * target's own second are not replayed (a time on a whole second is exact).
 */
final class BinaryLogArchive {
  /** The binary log files' base name; the server keeps them in the data directory. */
  static final String BASENAME = "binlog";

  /** How long a binary log file holding changes stays open before it is closed and archived. */
  static final Duration ROTATE_AFTER = Duration.ofSeconds(60);

  private static final Pattern FILE = Pattern.compile(Pattern.quote(BASENAME) + "\\.(\\d{6,})");

  private static final DateTimeFormatter STOP_DATETIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final Path dataDir;
  private final Path spool;
  // the file being written when it was first seen, and when: its age decides the rotation
  private String openFile;
  private Instant openSince;
  // closed files already copied: the server keeps a file until InnoDB has made its transactions
  // durable (its binlog checkpoint), so a purge right after a rotation may leave it for the next
  // pass. Lost on a restart, which only means one harmless copy more.
  private final Set<String> spooled = new HashSet<>();

  BinaryLogArchive(Path dataDir, Path spool) {
    this.dataDir = dataDir;
    this.spool = spool;
  }

  /** Whether {@code name} is a binary log file (not the index or state file). */
  static boolean isLogFile(String name) {
    return FILE.matcher(name).matches();
  }

  /**
   * Closes the current file when {@code rotate} is set or when it holds changes and has been open
   * for {@link #ROTATE_AFTER}, then spools every closed file and purges it from the server.
   */
  synchronized void spool(Connection c, boolean rotate) throws SQLException {
    try (Statement s = c.createStatement()) {
      String current = currentFile(s);
      if (!current.equals(openFile)) {
        openFile = current;
        openSince = Instant.now();
      }
      boolean due =
          !Instant.now().isBefore(openSince.plus(ROTATE_AFTER)) && holdsChanges(s, current);
      if (rotate || due) {
        s.execute("FLUSH BINARY LOGS");
        current = currentFile(s);
        openFile = current;
        openSince = Instant.now();
      }
      List<String> closed = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
        while (rs.next()) {
          String name = rs.getString(1);
          if (!name.equals(current) && isLogFile(name)) {
            closed.add(name);
          }
        }
      }
      if (closed.isEmpty()) {
        return;
      }
      spooled.retainAll(closed);
      List<String> toCopy = closed.stream().filter(name -> !spooled.contains(name)).toList();
      if (!toCopy.isEmpty()) {
        prepareSpool();
        for (String name : toCopy) {
          copyIntoSpool(name);
        }
        syncDirectory(spool);
        spooled.addAll(toCopy);
      }
      // The spool holds them durably; the server's copies are no longer needed.
      s.execute("PURGE BINARY LOGS TO " + Sql.literal(current));
    } catch (IOException e) {
      throw EngineException.failure("cannot spool the binary log: " + e.getMessage(), e);
    }
  }

  private static String currentFile(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW MASTER STATUS")) {
      if (!rs.next()) {
        throw EngineException.failure("the server keeps no binary log (log-bin is off)");
      }
      return rs.getString("File");
    }
  }

  /**
   * Whether a transaction was logged in {@code file}: the server's GTID position differs from the
   * list of GTIDs the file starts with (its {@code Gtid_list} event). Unlike the file's size, this
   * ignores the server's own bookkeeping events, so an idle server is not rotated every minute.
   */
  private static boolean holdsChanges(Statement s, String file) throws SQLException {
    String atStart = null;
    try (ResultSet rs = s.executeQuery("SHOW BINLOG EVENTS IN " + Sql.literal(file) + " LIMIT 4")) {
      while (rs.next()) {
        if ("Gtid_list".equalsIgnoreCase(rs.getString("Event_type"))) {
          atStart = rs.getString("Info");
        }
      }
    }
    String now;
    try (ResultSet rs = s.executeQuery("SELECT @@gtid_binlog_pos")) {
      rs.next();
      now = rs.getString(1);
    }
    return atStart == null || !gtids(atStart).equals(gtids(now));
  }

  /** {@code [0-1-5,1-2-7]} or {@code 0-1-5,1-2-7} as a set of GTIDs. */
  private static TreeSet<String> gtids(String list) {
    String inner = list == null ? "" : list.replace("[", "").replace("]", "");
    TreeSet<String> set = new TreeSet<>();
    Arrays.stream(inner.split(",")).map(String::strip).filter(g -> !g.isEmpty()).forEach(set::add);
    return set;
  }

  private void prepareSpool() throws IOException {
    if (!Files.isDirectory(spool)) {
      Files.createDirectories(spool.getParent());
      Files.createDirectory(
          spool,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  /** Hidden name, synced, original modification time, then renamed: the shipper sees it whole. */
  private void copyIntoSpool(String name) throws IOException {
    Path source = dataDir.resolve(name);
    FileTime lastWrite = Files.getLastModifiedTime(source);
    Path tmp = spool.resolve("." + name + ".tmp");
    Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.setLastModifiedTime(tmp, lastWrite);
    Files.move(
        tmp,
        spool.resolve(name),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  // ---- restore ----

  /**
   * Copies the archived files from {@code first} (where the restored backup ends) on into {@code
   * dir}, in order, and returns their paths. A missing first file or a gap in the numbering fails
   * the restore: replaying past a gap would silently skip changes.
   */
  static List<Path> fetch(LogArchiveReader archive, String first, Path dir) {
    long firstNumber = number(first).orElseThrow();
    List<String> names =
        archive.names().stream()
            .filter(name -> number(name).map(n -> n >= firstNumber).orElse(false))
            .sorted(Comparator.comparingLong(name -> number(name).orElseThrow()))
            .toList();
    if (names.isEmpty() || !names.get(0).equals(first)) {
      throw EngineException.badRequest(
          "The log archive does not hold the binary log "
              + first
              + " where the backup ends, so the backup cannot be restored to a time.");
    }
    List<Path> fetched = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (number(name).orElseThrow() != firstNumber + i) {
        throw EngineException.badRequest(
            "The log archive has a gap before the binary log "
                + name
                + ", so the backup cannot be restored to a later time.");
      }
      Path target = dir.resolve(name);
      try {
        archive.copy(name, target);
      } catch (UncheckedIOException e) {
        throw EngineException.failure(e.getMessage(), e);
      }
      fetched.add(target);
    }
    return fetched;
  }

  /** The binary log's number of a file name, if it is one. */
  static Optional<Long> number(String name) {
    Matcher m = FILE.matcher(name);
    return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
  }

  /**
   * The {@code mariadb-binlog} command printing the fetched files as SQL from {@code position} of
   * the first up to (not including) the whole second of {@code target}, in UTC ({@code TZ=UTC} must
   * be set: the tool reads the time in local time).
   */
  static List<String> replayCommand(String tool, long position, Instant target, List<Path> files) {
    List<String> command = new ArrayList<>();
    command.add(tool);
    command.add("--no-defaults");
    command.add("--start-position=" + position);
    command.add("--stop-datetime=" + STOP_DATETIME.format(target.truncatedTo(ChronoUnit.SECONDS)));
    files.forEach(f -> command.add(f.toString()));
    return command;
  }
}

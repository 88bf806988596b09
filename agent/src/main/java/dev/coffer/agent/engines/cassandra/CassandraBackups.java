package dev.coffer.agent.engines.cassandra;

import static dev.coffer.agent.engines.cassandra.CassandraEngine.ident;
import static dev.coffer.agent.engines.cassandra.CassandraEngine.literal;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.AlreadyExistsException;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.DataCheck;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backups of one Cassandra node's keyspaces, and their restore into a new node.
 *
 * <p><b>Stream.</b> A backup is a POSIX tar (format {@value #FORMAT}): {@value #SCHEMA} (the
 * keyspaces' schema as the server's own {@code DESCRIBE KEYSPACE} prints it), {@value #ROLES} (the
 * login roles with their password hashes and keyspace permissions, as CQL) and the SSTable files
 * under their data-directory paths ({@code <keyspace>/<table>-<id>/snapshots/<tag>/...} or {@code
 * .../backups/...}). GNU tar writes it straight to the sink.
 *
 * <p><b>Full and incremental.</b> A full backup is {@code nodetool flush} and {@code nodetool
 * snapshot}. From the first backup on, the node runs with {@code incremental_backups}, which
 * hard-links every SSTable it flushes into the table's {@code backups/} directory; an incremental
 * backup flushes and ships the {@code backups/} files written since its parent started (position
 * {@value #MARK}). Files a later incremental can no longer need are deleted: everything before a
 * full backup, or before an incremental's parent.
 *
 * <p><b>Restore.</b> The chain is unpacked into {@code data/restore} while the node is stopped; the
 * next start, once CQL answers, recreates the schema (keyspaces with this node's replication), the
 * roles and their grants, and loads every SSTable with {@code nodetool import} (which verifies
 * them), then deletes the directory.
 */
final class CassandraBackups {
  private static final Logger log = LoggerFactory.getLogger(CassandraBackups.class);

  static final String FORMAT = "cassandra-tar";
  static final String SCHEMA = "schema.cql";
  static final String ROLES = "roles.cql";
  static final String MARK = "mark";
  static final String KEYSPACES = "keyspaces";
  static final String FILES = "files";

  /** Files written up to this long before a backup's mark are shipped again (never missed). */
  private static final long MARK_MARGIN_MILLIS = 2_000;

  private static final int BUFFER_BYTES = 256 * 1024;
  private static final Duration TOOL_DEADLINE = Duration.ofHours(2);
  private static final Pattern CREATE_KEYSPACE =
      Pattern.compile("^CREATE KEYSPACE (?:IF NOT EXISTS )?(\"?)([A-Za-z0-9_]+)\\1");

  /** The engine's admin session, with secrets to keep out of error messages. */
  interface Admin {
    <T> T withAdmin(Function<CqlSession, T> action, String... secrets);
  }

  private final EngineContext context;
  private final CassandraFiles files;
  private final Nodetool nodetool;
  private final Admin admin;

  CassandraBackups(EngineContext context, CassandraFiles files, Nodetool nodetool, Admin admin) {
    this.context = context;
    this.files = files;
    this.nodetool = nodetool;
    this.admin = admin;
  }

  private Path dataFiles() {
    return files.dataFiles(context);
  }

  // ---- backup -------------------------------------------------------------------------------

  BackupManifest backup(Optional<BackupManifest> parent, OutputStream out, List<String> keyspaces) {
    long mark = System.currentTimeMillis() - MARK_MARGIN_MILLIS;
    if (!Files.exists(files.backupsMarker())) {
      // From now on every flushed SSTable is also linked into backups/: the next incremental.
      nodetool.run("enablebackup");
      CassandraFiles.atomicWrite(files.backupsMarker(), "on\n");
      files.render(context);
    }
    nodetool.run("flush");
    String tag = "coffer-" + System.currentTimeMillis();
    Path stage = context.agentDir().resolve("backup-stage");
    try {
      deleteRecursively(stage);
      Files.createDirectories(stage);
      List<String> members;
      long pruneBefore;
      if (parent.isEmpty()) {
        if (!keyspaces.isEmpty()) {
          List<String> args = new ArrayList<>(List.of("snapshot", "-t", tag));
          args.addAll(keyspaces);
          nodetool.run(args.toArray(String[]::new));
        }
        members = sstables(keyspaces, dir -> dir.resolve("snapshots").resolve(tag), 0);
        pruneBefore = mark;
      } else {
        String parentMark = parent.get().position().get(MARK);
        if (parentMark == null) {
          throw EngineException.badRequest("The parent backup is not a Cassandra backup.");
        }
        pruneBefore = Long.parseLong(parentMark);
        members = sstables(keyspaces, dir -> dir.resolve("backups"), pruneBefore);
      }
      Files.writeString(stage.resolve(SCHEMA), schema(keyspaces), StandardCharsets.UTF_8);
      Files.writeString(stage.resolve(ROLES), roles(keyspaces), StandardCharsets.UTF_8);
      Path list = stage.resolve("files.list");
      Files.writeString(list, String.join("\0", members), StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>();
      command.addAll(
          List.of(
              "tar",
              "--create",
              "--file=-",
              "--directory=" + stage,
              SCHEMA,
              ROLES,
              "--directory=" + dataFiles(),
              "--null",
              "--files-from=" + list));
      streamStdout(command, out);
      pruneIncrementalFiles(keyspaces, pruneBefore);
      log.info(
          "cassandra backup written instance={} incremental={} keyspaces={} sstableFiles={}",
          context.instanceId(),
          parent.isPresent(),
          keyspaces.size(),
          members.size());
      return new BackupManifest(
          FORMAT,
          Map.of(
              MARK,
              Long.toString(mark),
              KEYSPACES,
              String.join(",", keyspaces),
              FILES,
              Integer.toString(members.size())));
    } catch (IOException e) {
      throw EngineException.failure("cannot write the backup: " + e.getMessage(), e);
    } finally {
      if (parent.isEmpty() && !keyspaces.isEmpty()) {
        try {
          nodetool.run("clearsnapshot", "-t", tag);
        } catch (EngineException e) {
          log.warn("nodetool clearsnapshot failed tag={} error={}", tag, e.getMessage());
        }
      }
      try {
        deleteRecursively(stage);
      } catch (IOException e) {
        log.warn("cannot remove {}: {}", stage, e.getMessage());
      }
    }
  }

  /**
   * The regular SSTable files (relative to the data directory) in {@code where} of every table of
   * {@code keyspaces}, modified at or after {@code since}.
   */
  private List<String> sstables(List<String> keyspaces, Function<Path, Path> where, long since)
      throws IOException {
    List<String> members = new ArrayList<>();
    for (String ks : keyspaces) {
      for (Path table : tableDirs(dataFiles().resolve(ks))) {
        Path dir = where.apply(table);
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> paths = Files.list(dir)) {
          for (Path file : paths.sorted().toList()) {
            String name = file.getFileName().toString();
            if (Files.isRegularFile(file)
                && !name.equals("manifest.json")
                && !name.equals("schema.cql")
                && Files.getLastModifiedTime(file).toMillis() >= since) {
              members.add(dataFiles().relativize(file).toString());
            }
          }
        }
      }
    }
    return members;
  }

  private static List<Path> tableDirs(Path keyspaceDir) throws IOException {
    if (!Files.isDirectory(keyspaceDir)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(keyspaceDir)) {
      return dirs.filter(Files::isDirectory).sorted().toList();
    }
  }

  /** Deletes the backups/ files no later incremental needs, so they do not pile up. */
  private void pruneIncrementalFiles(List<String> keyspaces, long before) throws IOException {
    for (String ks : keyspaces) {
      for (Path table : tableDirs(dataFiles().resolve(ks))) {
        Path dir = table.resolve("backups");
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> paths = Files.list(dir)) {
          for (Path file : paths.toList()) {
            if (Files.isRegularFile(file) && Files.getLastModifiedTime(file).toMillis() < before) {
              Files.deleteIfExists(file);
            }
          }
        }
      }
    }
  }

  /** Every keyspace's schema as the server describes it, one statement after another. */
  private String schema(List<String> keyspaces) {
    return admin.withAdmin(
        s -> {
          StringBuilder out = new StringBuilder();
          for (String ks : keyspaces) {
            for (Row row : s.execute("DESCRIBE KEYSPACE " + ident(ks))) {
              out.append(row.getString("create_statement").strip()).append("\n\n");
            }
          }
          return out.toString();
        });
  }

  /** The login roles (not Coffer's own) with their password hashes, and their keyspace grants. */
  private String roles(List<String> keyspaces) {
    Set<String> reserved = Set.of("os_admin", "cassandra", "root");
    return admin.withAdmin(
        s -> {
          StringBuilder out = new StringBuilder();
          for (Row row :
              s.execute(
                  "SELECT role, can_login, is_superuser, salted_hash FROM system_auth.roles")) {
            String role = row.getString(0);
            if (reserved.contains(role) || !row.getBoolean(1) || row.getString(3) == null) {
              continue;
            }
            out.append("CREATE ROLE IF NOT EXISTS ")
                .append(ident(role))
                .append(" WITH LOGIN = true AND SUPERUSER = ")
                .append(row.getBoolean(2))
                .append(" AND HASHED PASSWORD = ")
                .append(literal(row.getString(3)))
                .append('\n');
          }
          for (Row row :
              s.execute("SELECT role, resource, permissions FROM system_auth.role_permissions")) {
            String role = row.getString(0);
            String resource = row.getString(1);
            if (reserved.contains(role) || resource == null || !resource.startsWith("data/")) {
              continue;
            }
            String ks = resource.substring("data/".length());
            if (ks.contains("/") || !keyspaces.contains(ks)) {
              continue;
            }
            for (String permission : new java.util.TreeSet<>(row.getSet(2, String.class))) {
              out.append("GRANT ")
                  .append(permission)
                  .append(" ON KEYSPACE ")
                  .append(ident(ks))
                  .append(" TO ")
                  .append(ident(role))
                  .append('\n');
            }
          }
          return out.toString();
        });
  }

  private void streamStdout(List<String> command, OutputStream out) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectError(ProcessBuilder.Redirect.appendTo(files.consoleLog().toFile()));
    builder.environment().put("LC_ALL", "C");
    Process process = builder.start();
    try {
      byte[] buffer = new byte[BUFFER_BYTES];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      }
      int exit = awaitExit(process);
      if (exit != 0) {
        throw EngineException.failure(
            "tar failed with exit code " + exit + " (see " + files.consoleLog() + ")");
      }
    } finally {
      process.destroyForcibly();
    }
  }

  // ---- restore ------------------------------------------------------------------------------

  /** Unpacks the chain into the restore directory, for the next start to load. */
  void stage(List<BackupSource> chain) {
    Path root = files.restoreDir();
    try {
      deleteRecursively(root);
      OsProcesses.ownedDirectories(context.runAsUser(), context.dataDir());
      for (int i = 0; i < chain.size(); i++) {
        Path dir = root.resolve(String.format("%03d", i));
        OsProcesses.ownedDirectories(context.runAsUser(), root, dir);
        try (InputStream in = chain.get(i).open()) {
          extract(in, dir);
        }
      }
      log.info(
          "cassandra restore staged instance={} backups={}", context.instanceId(), chain.size());
    } catch (IOException e) {
      throw EngineException.failure("cannot unpack the backup: " + e.getMessage(), e);
    }
  }

  /**
   * With the node running: loads a staged restore (schema, roles, then SSTables) and removes it.
   * Does nothing without one. Safe to repeat after a crash: schema and roles are created only if
   * absent, and {@code nodetool import} moves the files it loaded out of the directory.
   */
  void finishRestore(IntSupplier replicationFactor) {
    Path root = files.restoreDir();
    if (!Files.isDirectory(root)) {
      return;
    }
    try {
      List<Path> chain;
      try (Stream<Path> dirs = Files.list(root)) {
        chain = dirs.filter(Files::isDirectory).sorted().toList();
      }
      int rf = replicationFactor.getAsInt();
      for (Path dir : chain) {
        applySchema(dir.resolve(SCHEMA), rf);
      }
      for (Path dir : chain) {
        applyStatements(dir.resolve(ROLES));
      }
      Map<String, List<String>> byTable = new TreeMap<>();
      for (Path dir : chain) {
        try (Stream<Path> keyspaces = Files.list(dir)) {
          for (Path ks : keyspaces.filter(Files::isDirectory).sorted().toList()) {
            for (Path table : tableDirs(ks)) {
              String name = table.getFileName().toString();
              String tableName =
                  name.contains("-") ? name.substring(0, name.lastIndexOf('-')) : name;
              String key = ks.getFileName() + " " + tableName;
              for (Path source : sstableDirs(table)) {
                byTable.computeIfAbsent(key, k -> new ArrayList<>()).add(source.toString());
              }
            }
          }
        }
      }
      for (Map.Entry<String, List<String>> e : byTable.entrySet()) {
        String[] kt = e.getKey().split(" ");
        List<String> args = new ArrayList<>(List.of("import", kt[0], kt[1]));
        args.addAll(e.getValue());
        nodetool.run(TOOL_DEADLINE, args.toArray(String[]::new));
      }
      deleteRecursively(root);
      log.info(
          "cassandra restore loaded instance={} tables={}", context.instanceId(), byTable.size());
    } catch (IOException e) {
      throw EngineException.failure("cannot load the restored backup: " + e.getMessage(), e);
    }
  }

  /** Directories under a table's directory that hold SSTable data files. */
  private static List<Path> sstableDirs(Path table) throws IOException {
    try (Stream<Path> paths = Files.walk(table)) {
      return paths
          .filter(p -> p.getFileName().toString().endsWith("-Data.db"))
          .map(Path::getParent)
          .distinct()
          .sorted()
          .toList();
    }
  }

  private void applySchema(Path file, int rf) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    for (String statement : statements(Files.readString(file, StandardCharsets.UTF_8))) {
      Matcher m = CREATE_KEYSPACE.matcher(statement);
      String cql =
          m.find()
              ? "CREATE KEYSPACE IF NOT EXISTS "
                  + ident(m.group(2))
                  + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
                  + rf
                  + "}"
              : statement;
      execute(cql);
    }
  }

  private void applyStatements(Path file) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        execute(line);
      }
    }
  }

  private void execute(String cql) {
    admin.withAdmin(
        s -> {
          try {
            s.execute(SimpleStatement.newInstance(cql));
          } catch (AlreadyExistsException e) {
            // restored by an earlier backup of the chain, or by an interrupted earlier attempt
          }
          return null;
        });
  }

  /** Splits DESCRIBE output: every statement starts with CREATE at the start of a line. */
  static List<String> statements(String text) {
    List<String> result = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\n")) {
      if (line.startsWith("CREATE ") && current.length() > 0) {
        result.add(trimStatement(current.toString()));
        current.setLength(0);
      }
      if (!line.startsWith("--")) {
        current.append(line).append('\n');
      }
    }
    if (!current.toString().isBlank()) {
      result.add(trimStatement(current.toString()));
    }
    return result.stream().filter(s -> !s.isBlank()).toList();
  }

  private static String trimStatement(String statement) {
    String s = statement.strip();
    return s.endsWith(";") ? s.substring(0, s.length() - 1) : s;
  }

  /**
   * GNU tar as the run-as user, so files belong to it and names with '..' or a leading '/' cannot
   * leave the directory. Reads {@code in} to its end so a verifying source sees every byte.
   */
  private void extract(InputStream in, Path dir) throws IOException {
    List<String> command =
        OsProcesses.asUser(
            List.of("tar", "--extract", "--file=-", "--directory=" + dir), context.runAsUser());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.appendTo(files.consoleLog().toFile()));
    Process process = builder.start();
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
        // tar already ended; its exit code says whether that was the archive's end
      }
      int exit = awaitExit(process);
      if (exit != 0) {
        throw EngineException.failure(
            "cannot extract the backup: tar exited with code "
                + exit
                + " (see "
                + files.consoleLog()
                + ")");
      }
    } finally {
      process.destroyForcibly();
    }
  }

  private static int awaitExit(Process process) {
    try {
      if (!process.waitFor(TOOL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw EngineException.failure(
            "tar did not exit within " + TOOL_DEADLINE.toMinutes() + " min");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for tar", e);
    }
  }

  // ---- data check ---------------------------------------------------------------------------

  /** Counts the rows of every user table; SSTables were verified by {@code nodetool import}. */
  DataCheck checkData(List<String> keyspaces) {
    return admin.withAdmin(
        s -> {
          long rows = 0;
          int tables = 0;
          for (String ks : keyspaces) {
            for (Row t :
                s.execute(
                    SimpleStatement.newInstance(
                        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
                        ks))) {
              Row count =
                  s.execute("SELECT COUNT(*) FROM " + ident(ks) + "." + ident(t.getString(0)))
                      .one();
              rows += count == null ? 0 : count.getLong(0);
              tables++;
            }
          }
          return new DataCheck(
              true, rows, tables + " tables read; SSTables verified by nodetool import");
        });
  }

  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

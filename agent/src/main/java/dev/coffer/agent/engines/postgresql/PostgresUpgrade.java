package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.DataVersion;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.process.OsProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upgrades a PostgreSQL data directory to the version the agent runs. Within a major version the
 * data format does not change: nothing to do. Across majors {@code pg_upgrade} (copy mode) writes a
 * new cluster from the old binaries' data into {@value #WORK}{@code /new}, initialised by the new
 * {@code initdb} with the same admin account; the old files move aside to {@value #WORK}{@code
 * /old}, the new ones take their place, and the old ones are removed only once the new server has
 * started. A new server that does not start gets the old files back.
 *
 * <p>Resumable: a crash before the swap redoes the work from the old files (still in place); a
 * crash during it finishes it (the marker {@code old/} exists once the old files began to move).
 */
final class PostgresUpgrade {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresUpgrade.class);

  /** Scratch directory inside the data directory (the volume), so that moves are renames. */
  static final String WORK = ".coffer-upgrade";

  private static final Duration UPGRADE_DEADLINE = Duration.ofHours(12);

  /** Never moved: the volume's own directory, the scratch directory and the version record. */
  private static final Set<String> STAYS = Set.of("lost+found", WORK);

  private final EngineContext context;
  private final PostgresServer server;

  PostgresUpgrade(EngineContext context, PostgresServer server) {
    this.context = context;
    this.server = server;
  }

  /** The major version of the data ({@code PG_VERSION}: "15"). */
  static String dataMajor(Path dataDir) {
    try {
      return Files.readString(dataDir.resolve("PG_VERSION")).strip();
    } catch (IOException e) {
      throw EngineException.failure("cannot read PG_VERSION in " + dataDir, e);
    }
  }

  /** The major version {@code postgres --version} reports ("15" for 15.8). */
  static String serverMajor(String versionOutput) {
    return PostgresEngineFactory.parseVersion(versionOutput)
        .map(PostgresEngineFactory.ParsedVersion::version)
        .orElseThrow(
            () -> EngineException.failure("cannot read the server version: " + versionOutput));
  }

  /** initdb as for a new instance: the admin password comes from a 0600 file, never argv. */
  static List<String> initdbCommand(String initdb, Path pgdata, Path passwordFile) {
    return List.of(
        initdb,
        "--pgdata=" + pgdata,
        "--username=" + PostgresEngineFactory.ADMIN_USER,
        "--pwfile=" + passwordFile,
        "--auth-host=scram-sha-256",
        "--auth-local=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-instructions");
  }

  /**
   * pg_upgrade in copy mode (the old files stay untouched), run in {@code workDir} where it writes
   * its logs; the admin password comes from {@code PGPASSFILE}, never argv.
   */
  static List<String> pgUpgradeCommand(
      String pgUpgrade, Path oldBin, Path newBin, Path oldData, Path newData, Path workDir) {
    return List.of(
        "env",
        "--chdir=" + workDir,
        pgUpgrade,
        "--old-bindir=" + oldBin,
        "--new-bindir=" + newBin,
        "--old-datadir=" + oldData,
        "--new-datadir=" + newData,
        "--username=" + PostgresEngineFactory.ADMIN_USER,
        "--copy");
  }

  void upgradeFrom(DataVersion previous) {
    Path data = context.dataDir();
    Path work = data.resolve(WORK);
    String newMajor =
        serverMajor(
            OsProcesses.run(
                List.of(context.binary("server"), "--version"),
                Optional.empty(),
                Duration.ofSeconds(15),
                Map.of()));
    if (!Files.isDirectory(work.resolve("old")) && dataMajor(data).equals(newMajor)) {
      LOG.info(
          "postgres upgrade not needed instance={} from={} major={}",
          context.instanceId(),
          previous.version(),
          newMajor);
      return;
    }
    if (!Files.isDirectory(work.resolve("old"))) {
      server.stop();
      runPgUpgrade(previous, work);
    }
    swap(data, work.resolve("old"), work.resolve("new"));
    try {
      server.start();
    } catch (RuntimeException e) {
      server.stop();
      restoreOld(data, work.resolve("old"));
      throw EngineException.failure(
          "PostgreSQL "
              + newMajor
              + " did not start on the upgraded data; the old data is back: "
              + e.getMessage(),
          e);
    }
    deleteTree(work);
    LOG.info(
        "postgres upgraded instance={} from={} to_major={}",
        context.instanceId(),
        previous.version(),
        newMajor);
  }

  private void runPgUpgrade(DataVersion previous, Path work) {
    String oldServer = previous.binaries().get("server");
    if (oldServer == null || !Files.isExecutable(Path.of(oldServer))) {
      throw EngineException.failure(
          "cannot upgrade from PostgreSQL "
              + previous.version()
              + ": its binaries are not installed here (both versions must be registered)");
    }
    Path oldBin = Path.of(oldServer).getParent();
    Path newBin = Path.of(context.binary("server")).getParent();
    String pgUpgrade =
        context.binaries().getOrDefault("pg_upgrade", newBin.resolve("pg_upgrade").toString());
    deleteTree(work);
    Path newData = work.resolve("new");
    OsProcesses.ownedDirectories(context.runAsUser(), work, newData);
    Path pwFile = context.runDir().resolve("upgrade.pw");
    Path passFile = context.runDir().resolve("upgrade.pgpass");
    try {
      server.writeEngineFile(pwFile, server.adminPassword() + "\n");
      server.writeEngineFile(
          passFile,
          "*:*:*:" + PostgresEngineFactory.ADMIN_USER + ":" + server.adminPassword() + "\n");
      OsProcesses.run(
          initdbCommand(context.binary("initdb"), newData, pwFile),
          context.runAsUser(),
          Duration.ofMinutes(5),
          Map.of());
      String output =
          OsProcesses.run(
              pgUpgradeCommand(pgUpgrade, oldBin, newBin, context.dataDir(), newData, work),
              context.runAsUser(),
              UPGRADE_DEADLINE,
              Map.of("PGPASSFILE", passFile.toString()));
      Files.writeString(context.logDir().resolve("pg_upgrade.log"), output);
    } catch (IOException e) {
      throw EngineException.failure("cannot write the pg_upgrade log: " + e.getMessage(), e);
    } finally {
      deleteQuietly(pwFile);
      deleteQuietly(passFile);
    }
  }

  /** Moves the old files into {@code old} (created first: the marker), then the new ones in. */
  private static void swap(Path data, Path old, Path fresh) {
    try {
      Files.createDirectories(old);
      for (Path entry : entries(data)) {
        Files.move(entry, old.resolve(entry.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      }
      if (Files.isDirectory(fresh)) {
        for (Path entry : entries(fresh)) {
          Files.move(entry, data.resolve(entry.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot move the upgraded data in place: " + e.getMessage(), e);
    }
  }

  private static void restoreOld(Path data, Path old) {
    try {
      for (Path entry : entries(data)) {
        deleteTree(entry);
      }
      for (Path entry : entries(old)) {
        Files.move(entry, data.resolve(entry.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      }
      deleteTree(data.resolve(WORK));
    } catch (IOException e) {
      throw EngineException.failure("cannot put the old data back: " + e.getMessage(), e);
    }
  }

  private static List<Path> entries(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> !STAYS.contains(p.getFileName().toString())).toList();
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot remove " + root + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", file, e.toString());
    }
  }
}

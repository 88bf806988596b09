package dev.coffer.agent.engine;

import dev.coffer.api.agent.DataCheck;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Optional engine capability: physical backups streamed to a sink and restored from a chain of
 * them. An {@link Engine} that supports backups also implements this interface; the agent checks
 * with {@code instanceof}. All engine syntax (mariadb-backup, pg_basebackup, BGSAVE…) stays in the
 * engine's package.
 *
 * <p>Streams are never buffered whole in memory or on disk outside the instance directory: backups
 * write straight to {@code out}, restores read straight from the sources.
 */
public interface BackupEngine {

  /** Whether {@link #backup} accepts a parent (incremental backups). */
  boolean supportsIncremental();

  /**
   * Writes a backup of the running engine to {@code out}: full when {@code parent} is empty,
   * otherwise the changes since that parent. Returns what a later incremental or restore needs to
   * know about this backup (for example its end LSN). Does not close {@code out}.
   */
  BackupManifest backup(Optional<BackupManifest> parent, OutputStream out);

  /**
   * Replaces the engine's data with the chain (full backup first, then each incremental in order).
   * The engine is stopped before this is called and started by the caller afterwards. Each source
   * is opened once, in order, and closed by the engine.
   */
  void restore(List<BackupSource> chain);

  /**
   * The engine's own consistency check over the user data and a count of its rows or keys, for
   * restore drills: run on a scratch instance right after a restore.
   */
  DataCheck checkData();

  /**
   * For engines that archive their change log for point-in-time recovery: the directory where the
   * engine leaves each finished log file (PostgreSQL: WAL segments and timeline history files) for
   * the agent to ship to the backup store. The agent deletes a file once it is stored.
   */
  default Optional<Path> logSpool() {
    return Optional.empty();
  }

  /**
   * For engines whose server cannot copy its own finished log files out (MariaDB has no {@code
   * archive_command}): puts every finished log file not yet spooled into {@link #logSpool}, and
   * closes the current one when it holds changes older than the engine's recovery point objective.
   * The agent calls it before each shipping pass. Does nothing while the engine is not running.
   */
  default void spoolLog() {}

  /**
   * Whether shipping this spooled file moves the latest restorable time up to the file's
   * modification time: true for a file holding the log up to its last write, false for an auxiliary
   * file (such as PostgreSQL's timeline history).
   */
  default boolean marksArchiveProgress(String fileName) {
    return true;
  }

  /**
   * Closes the engine's current log file and returns once it is in {@link #logSpool}, so that
   * everything committed before the call can be archived. Only called when there is a spool.
   */
  default void flushLog() {
    throw new UnsupportedOperationException("this engine does not archive its log");
  }

  /**
   * Like {@link #restore(List)}, then replays the source's archived log up to {@code target}'s
   * time. Only called when there is a spool.
   */
  default void restore(List<BackupSource> chain, RecoveryTarget target) {
    throw new UnsupportedOperationException("this engine does not archive its log");
  }

  /** Where a point-in-time restore stops, and the source's log archive to replay from. */
  record RecoveryTarget(Instant time, LogArchiveReader archive) {}

  /** The files of a log archive, by their engine file names. */
  interface LogArchiveReader {
    /** The names of the archived files, in lexical order. */
    List<String> names();

    /** Writes the archived file's original bytes to {@code target}, verified end to end. */
    void copy(String name, Path target);
  }

  /** One backup of a chain to restore: its manifest and a way to read its bytes once. */
  interface BackupSource {
    BackupManifest manifest();

    InputStream open();
  }
}

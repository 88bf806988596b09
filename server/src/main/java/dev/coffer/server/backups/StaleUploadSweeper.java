package dev.coffer.server.backups;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclaims the space of uploads that writers abandoned mid-write (an agent killed during a backup
 * leaves a temporary file in the file store, an unfinished multipart upload in S3). Such leftovers
 * are never visible as backups; they only take space. Runs at start and then periodically, and
 * removes leftovers older than {@code olderThan}, which must exceed the longest a backup may run.
 */
public final class StaleUploadSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StaleUploadSweeper.class);

  private final BackupVault vault;
  private final Duration olderThan;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "stale-upload-sweeper"));

  public StaleUploadSweeper(BackupVault vault, Duration olderThan) {
    this.vault = vault;
    this.olderThan = olderThan;
  }

  /** Sweeps now (in the background) and then every {@code every}. */
  public void start(Duration every) {
    timer.scheduleWithFixedDelay(this::sweepQuietly, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Removes the stale uploads and returns how many there were. */
  public int sweep() {
    int removed = vault.purgeIncomplete(olderThan);
    log.info("event=stale_uploads_purged removed={} older_than={}", removed, olderThan);
    return removed;
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.warn("event=stale_upload_purge_failed error=\"{}\"", e.getMessage());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

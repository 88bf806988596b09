package dev.coffer.agent.backups;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.BackupRequest;
import dev.coffer.api.agent.BackupResult;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.EnginePositions;
import dev.coffer.api.agent.LogArchive;
import dev.coffer.api.agent.LogArchiveStatus;
import dev.coffer.api.agent.RestoreRequest;
import dev.coffer.api.agent.RestoreSource;
import dev.coffer.backup.envelope.BackupEnvelope;
import dev.coffer.backup.envelope.SealedBackup;
import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.storage.BackupStore;
import dev.coffer.backup.storage.BackupStoreConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's half of backups: streams the engine's backup through the sealed envelope straight
 * into the store, and feeds a chain of stored backups back into the engine. Nothing passes through
 * the control plane and nothing is held whole in memory.
 */
public final class BackupRunner {
  private static final Logger log = LoggerFactory.getLogger(BackupRunner.class);

  private final Engine engine;
  private final String datastore;
  private final Optional<LogShipper> logShipper;

  /**
   * @param agentDir the agent's own (0700) directory, where the log archive's settings are kept
   */
  public BackupRunner(Engine engine, String datastore, Path agentDir, ObjectMapper mapper) {
    this.engine = engine;
    this.datastore = datastore;
    this.logShipper =
        engine instanceof BackupEngine backups
            ? backups
                .logSpool()
                .map(
                    spool ->
                        new LogShipper(
                            spool,
                            agentDir.resolve("log-archive.json"),
                            mapper,
                            backups::marksArchiveProgress))
            : Optional.empty();
  }

  /** Whether the engine archives its change log (and {@link #shipLog} has work to do). */
  public boolean archivesLog() {
    return logShipper.isPresent();
  }

  /** Where this instance archives its log, from the PREPARE command. */
  public void configureLogArchive(LogArchive archive) {
    logShipper
        .orElseThrow(() -> EngineException.unsupported("point_in_time_recovery", datastore))
        .configure(archive);
  }

  /** Ships what the engine has archived so far; called every few seconds. */
  public void shipLog() {
    logShipper.ifPresent(
        shipper -> {
          // Until the archive is configured the engine's log stays where the engine keeps (and
          // eventually expires) it, rather than piling up in a spool nobody ships.
          if (shipper.isConfigured()) {
            try {
              backupEngine().spoolLog();
            } catch (RuntimeException e) {
              log.warn("cannot spool the engine's log, will retry: {}", e.getMessage());
            }
            shipper.ship();
          }
        });
  }

  /** Every change before this instant is in the store (the latest restorable time). */
  public Optional<Instant> logArchivedUntil() {
    return logShipper.flatMap(LogShipper::archivedUntil);
  }

  /** Closes the engine's current log file and ships it, so the archive reaches the present. */
  public LogArchiveStatus flushLogArchive() {
    LogShipper shipper =
        logShipper.orElseThrow(
            () -> EngineException.unsupported("point_in_time_recovery", datastore));
    Instant started = Instant.now();
    backupEngine().flushLog();
    shipper.ship();
    // Not the shipped segment's time: that is after the flush's own commit, and a target time
    // with no commit after it cannot be recovered to.
    if (!shipper.spoolIsEmpty()) {
      throw EngineException.failure("archived log files could not be shipped to the backup store");
    }
    return new LogArchiveStatus(started.toString());
  }

  private BackupEngine backupEngine() {
    if (engine instanceof BackupEngine backups) {
      return backups;
    }
    throw EngineException.unsupported("backup_create", datastore);
  }

  public BackupResult backup(BackupRequest request) {
    BackupEngine backups = backupEngine();
    Optional<BackupManifest> parent =
        Optional.ofNullable(request.parent())
            .map(p -> new BackupManifest(p.format(), p.position()));
    DataKey key = DataKey.fromBase64(request.dataKey());
    BackupManifest[] manifest = new BackupManifest[1];
    try (BackupStore store = BackupStoreConfig.fromMap(request.store()).open()) {
      SealedBackup sealed =
          BackupEnvelope.store(
              store, request.objectKey(), key, out -> manifest[0] = backups.backup(parent, out));
      log.info(
          "backup stored backup={} stored_bytes={} plain_bytes={}",
          request.backupId(),
          sealed.storedBytes(),
          sealed.plainBytes());
      return new BackupResult(
          sealed.checksum(),
          sealed.storedBytes(),
          sealed.plainBytes(),
          new EnginePositions(manifest[0].format(), manifest[0].position()),
          sealed.locationRef());
    } catch (IOException e) {
      throw EngineException.failure("the backup could not be stored: " + e.getMessage(), e);
    } catch (EngineException e) {
      throw e;
    } catch (Exception e) {
      throw EngineException.failure("the backup failed: " + e.getMessage(), e);
    }
  }

  /** Restore drills: the engine's own check and a count, on a freshly restored instance. */
  public DataCheck checkData() {
    return backupEngine().checkData();
  }

  /**
   * Replaces the (stopped) engine's data with the chain. Each object is verified while it is read
   * (frames authenticated, checksum compared at the end); a tampered object fails the restore.
   */
  public void restore(RestoreRequest request) {
    BackupEngine backups = backupEngine();
    try (BackupStore store = BackupStoreConfig.fromMap(request.store()).open()) {
      List<BackupEngine.BackupSource> chain = new ArrayList<>();
      for (RestoreSource source : request.chain()) {
        chain.add(
            new BackupEngine.BackupSource() {
              @Override
              public BackupManifest manifest() {
                return new BackupManifest(source.engine().format(), source.engine().position());
              }

              @Override
              public InputStream open() {
                try {
                  return BackupEnvelope.open(
                      store.open(source.objectKey()),
                      DataKey.fromBase64(source.dataKey()),
                      source.checksum());
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            });
      }
      RestoreRequest.PointInTime pointInTime = request.pointInTime();
      if (pointInTime == null) {
        backups.restore(chain);
        log.info("restored backups={}", chain.size());
      } else {
        if (backups.logSpool().isEmpty()) {
          throw EngineException.unsupported("point_in_time_recovery", datastore);
        }
        Instant time = Instant.parse(pointInTime.targetTime());
        backups.restore(
            chain,
            new BackupEngine.RecoveryTarget(
                time,
                LogShipper.reader(
                    store,
                    pointInTime.archivePrefix(),
                    DataKey.fromBase64(pointInTime.dataKey()))));
        log.info("restored backups={} point_in_time={}", chain.size(), time);
      }
    } catch (UncheckedIOException e) {
      throw EngineException.badRequest(
          "The backup cannot be restored: " + e.getCause().getMessage());
    } catch (EngineException e) {
      throw e;
    } catch (Exception e) {
      throw EngineException.failure("the restore failed: " + e.getMessage(), e);
    }
  }
}

package dev.coffer.agent.backups;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.engine.BackupEngine.LogArchiveReader;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.LogArchive;
import dev.coffer.backup.envelope.BackupEnvelope;
import dev.coffer.backup.envelope.SealedBackup;
import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.storage.BackupStore;
import dev.coffer.backup.storage.BackupStoreConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the engine's finished log files from its spool into the instance's log archive in the
 * backup store, each sealed like a backup and followed by a small {@code <name>.sha256} object
 * holding its checksum. A file counts as archived once both objects exist; only then is it deleted
 * from the spool, so a crash at any point ships it again (harmlessly) rather than losing it.
 *
 * <p>The archive's settings (store, prefix, data key) come once, with the instance's PREPARE
 * command, and are kept in the agent's own 0700 directory so that a restarted agent goes on
 * shipping.
 */
final class LogShipper {
  private static final Logger log = LoggerFactory.getLogger(LogShipper.class);

  static final String CHECKSUM_SUFFIX = ".sha256";

  private final Path spool;
  private final Path settingsFile;
  private final ObjectMapper mapper;
  private final Predicate<String> marksProgress;
  private LogArchive archive;
  private volatile Instant archivedUntil;

  /**
   * @param marksProgress whether shipping a file (by name) advances the archived-until time to the
   *     file's modification time
   */
  LogShipper(Path spool, Path settingsFile, ObjectMapper mapper, Predicate<String> marksProgress) {
    this.spool = spool;
    this.settingsFile = settingsFile;
    this.mapper = mapper;
    this.marksProgress = marksProgress;
    if (Files.exists(settingsFile)) {
      try {
        this.archive = mapper.readValue(settingsFile.toFile(), LogArchive.class);
      } catch (IOException e) {
        log.warn("cannot read the log archive settings; not shipping: {}", e.getMessage());
      }
    }
  }

  /** Keeps the archive's settings (0600, in the agent's directory) and starts using them. */
  synchronized void configure(LogArchive settings) {
    try {
      Path tmp = settingsFile.resolveSibling(settingsFile.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(tmp, mapper.writeValueAsBytes(settings));
      Files.move(tmp, settingsFile, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot keep the log archive settings: " + e.getMessage(), e);
    }
    this.archive = settings;
    log.info("log archive configured prefix={}", settings.prefix());
  }

  /** Every change made before this instant is in the store; empty until something was shipped. */
  Optional<Instant> archivedUntil() {
    return Optional.ofNullable(archivedUntil);
  }

  /** Whether the PREPARE command told this agent where to archive. */
  synchronized boolean isConfigured() {
    return archive != null;
  }

  synchronized boolean spoolIsEmpty() {
    return spoolFiles().isEmpty();
  }

  /** Ships every whole file in the spool, oldest name first; returns how many. */
  synchronized int ship() {
    if (archive == null) {
      return 0;
    }
    List<Path> files = spoolFiles();
    if (files.isEmpty()) {
      return 0;
    }
    DataKey key = DataKey.fromBase64(archive.dataKey());
    int shipped = 0;
    try (BackupStore store = BackupStoreConfig.fromMap(archive.store()).open()) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        String objectKey = archive.prefix() + "/" + name;
        Instant lastWrite = Files.getLastModifiedTime(file).toInstant();
        if (!store.exists(objectKey + CHECKSUM_SUFFIX)) {
          SealedBackup sealed =
              BackupEnvelope.store(store, objectKey, key, out -> Files.copy(file, out));
          store.put(
              objectKey + CHECKSUM_SUFFIX,
              out -> out.write(sealed.checksum().getBytes(StandardCharsets.US_ASCII)));
        }
        Files.delete(file);
        shipped++;
        if (marksProgress.test(name)) {
          advance(lastWrite);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn(
          "log archive shipping stopped after {} file(s), will retry: {}", shipped, e.toString());
    }
    if (shipped > 0) {
      log.info("log files archived count={} archived_until={}", shipped, archivedUntil);
    }
    return shipped;
  }

  private void advance(Instant instant) {
    if (archivedUntil == null || instant.isAfter(archivedUntil)) {
      archivedUntil = instant;
    }
  }

  /** Whole files only: the archive command writes under a hidden name and renames at the end. */
  private List<Path> spoolFiles() {
    if (!Files.isDirectory(spool)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(spool)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the archive of another instance (a restore's source), verifying each file. */
  static LogArchiveReader reader(BackupStore store, String prefix, DataKey key) {
    List<String> keys;
    try {
      keys = store.list(prefix + "/");
    } catch (IOException e) {
      throw EngineException.failure("cannot list the log archive: " + e.getMessage(), e);
    }
    Set<String> all = Set.copyOf(keys);
    List<String> names =
        keys.stream()
            .filter(k -> !k.endsWith(CHECKSUM_SUFFIX) && all.contains(k + CHECKSUM_SUFFIX))
            .map(k -> k.substring(prefix.length() + 1))
            .sorted()
            .toList();
    return new LogArchiveReader() {
      @Override
      public List<String> names() {
        return names;
      }

      @Override
      public void copy(String name, Path target) {
        String objectKey = prefix + "/" + name;
        try {
          String checksum;
          try (InputStream in = store.open(objectKey + CHECKSUM_SUFFIX)) {
            checksum = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
          }
          try (InputStream in = BackupEnvelope.open(store.open(objectKey), key, checksum)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(
              "archived log file " + name + " cannot be read: " + e.getMessage(), e);
        }
      }
    };
  }
}

package dev.coffer.server.backups;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

public interface BackupRepository {
  void insert(Backup backup);

  /** A backup of the project that is not deleted. */
  Optional<Backup> find(String projectId, String id);

  Optional<Backup> find(String id);

  /** The project's backups, newest first, optionally of one instance. */
  List<Backup> list(String projectId, Optional<String> instanceId);

  List<Backup> children(String parentId);

  /** Every live backup of an instance, whatever its project. */
  List<Backup> ofInstance(String instanceId);

  /** The newest COMPLETED backup of an instance (the default parent of an incremental). */
  Optional<Backup> latestCompleted(String instanceId);

  Set<String> instancesWithRunningBackups();

  void setStatus(String id, BackupStatus status, String faultMessage);

  void complete(
      String id,
      long sizeBytes,
      long plainBytes,
      String checksum,
      String locationRef,
      String manifest);

  void setWrappedKey(String id, String wrappedKey);

  /** A restore drill's outcome: verified_at is null when the drill failed. */
  void recordDrill(String id, Instant verifiedAt, Double restoreSeconds, String report);

  void markDeleted(String id);

  /** Every stored wrapped data key by backup id, deleted backups included. */
  Map<String, String> wrappedKeys();

  /** Replaces a backup's wrapped key if it is still {@code expected}; false if it changed. */
  boolean replaceWrappedKey(String id, String expected, String replacement);
}

package dev.coffer.server.backups;

import java.time.Instant;

/**
 * One backup. {@code wrappedKey} is the backup's data key encrypted with the master key; {@code
 * manifest} is the engine's JSON description (format and positions) needed for incrementals and
 * restores. {@code scheduled} backups were taken by a schedule and are subject to its retention.
 */
public record Backup(
    String id,
    String projectId,
    String instanceId,
    String name,
    String description,
    String datastoreVersionId,
    String parentId,
    BackupStatus status,
    Long sizeBytes,
    Long plainBytes,
    String checksum,
    String objectKey,
    String locationRef,
    String wrappedKey,
    String manifest,
    String faultMessage,
    Instant verifiedAt,
    Double restoreSeconds,
    Instant createdAt,
    Instant updatedAt,
    boolean scheduled,
    String verifyReport) {

  @Override
  public String toString() {
    return "Backup[id=%s, instance=%s, status=%s]".formatted(id, instanceId, status);
  }
}

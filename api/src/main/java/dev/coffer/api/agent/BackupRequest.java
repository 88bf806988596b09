package dev.coffer.api.agent;

import java.util.Map;

/**
 * Payload of {@link CommandType#BACKUP}: stream a backup of the engine, sealed with {@code
 * dataKey}, straight into the store under {@code objectKey}.
 *
 * @param store how to reach the backup store (see the backup module's store configuration)
 * @param dataKey the backup's own encryption key, base64; it exists in clear only in this command
 *     (erased once answered) and in the agent's memory
 * @param parent the parent backup's engine positions for an incremental backup, else null
 */
public record BackupRequest(
    String backupId,
    String objectKey,
    Map<String, String> store,
    String dataKey,
    EnginePositions parent) {

  @Override
  public String toString() {
    return "BackupRequest[backupId=%s, objectKey=%s, incremental=%s]"
        .formatted(backupId, objectKey, parent != null);
  }
}

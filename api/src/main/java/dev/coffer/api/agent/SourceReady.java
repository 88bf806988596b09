package dev.coffer.api.agent;

import java.util.Map;

/**
 * Result of {@link CommandType#PREPARE_SOURCE}.
 *
 * @param positions engine positions the replica needs beyond a backup's manifest; may be empty
 * @param seedsFromBackup whether the replica is filled from a backup of the source first (else it
 *     syncs everything over the replication link, like Redis)
 */
public record SourceReady(Map<String, String> positions, boolean seedsFromBackup) {
  public SourceReady {
    positions = positions == null ? Map.of() : Map.copyOf(positions);
  }
}

package dev.coffer.server.backups;

import java.util.List;
import java.util.Optional;

public interface BackupStrategyRepository {
  /**
   * Creates the strategy, or changes the container of the one for the same project and instance.
   */
  void upsert(BackupStrategy strategy);

  /** The project's strategies (project-wide first), optionally only the instance's. */
  List<BackupStrategy> list(String projectId, Optional<String> instanceId);

  /** Deletes the strategy of the project and instance ({@code ""}: project-wide), if any. */
  boolean delete(String projectId, String instanceId);

  /** The container for a new backup of the instance: its own strategy, else the project's. */
  Optional<String> containerFor(String projectId, String instanceId);
}

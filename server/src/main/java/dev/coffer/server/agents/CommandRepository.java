package dev.coffer.server.agents;

import dev.coffer.api.agent.CommandResult;
import java.util.Optional;

public interface CommandRepository {
  /** Inserts unless a command with this id exists (commands of tasks use stable ids). */
  void insertIfAbsent(StoredCommand command);

  /** Marks the oldest PENDING command of the instance DELIVERED and returns it. */
  Optional<StoredCommand> deliverNext(String instanceId);

  Optional<StoredCommand> find(String id);

  /** Records the result once and erases the payload (it may hold passwords). */
  boolean complete(String instanceId, String id, CommandResult result, String resultJson);

  /**
   * Commands a dead agent received but never answered go back to PENDING, except backups, which
   * fail (a backup is never resumed halfway).
   */
  int requeueDelivered(String instanceId);

  void cancel(String id);

  void cancelAll(String instanceId);
}

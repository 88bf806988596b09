package dev.coffer.agent.engine;

import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import java.util.Map;

/**
 * Optional engine capability: replication. An {@link Engine} that can serve and follow replicas
 * also implements this interface; the agent checks with {@code instanceof}. Every statement of the
 * engine's replication syntax (MariaDB's {@code CHANGE MASTER TO … MASTER_USE_GTID}, MySQL's {@code
 * CHANGE REPLICATION SOURCE TO}, PostgreSQL's {@code standby.signal} and slots, Redis's {@code
 * REPLICAOF}) stays in the engine's package.
 *
 * <p>Every method is idempotent: the control plane re-sends a command after a crash.
 */
public interface ReplicationEngine {

  /**
   * Makes the running engine ready to serve a replica: the replication account (a reserved name)
   * with the given password, and what the engine needs per replica (for example a PostgreSQL
   * replication slot named after {@code replicaId}). Returns engine positions the replica needs
   * beyond a backup's manifest; may be empty.
   */
  Map<String, String> prepareSource(ReplicationCredentials credentials, String replicaId);

  /**
   * Starts replicating from {@code setup}'s source. Called on a running engine that was filled from
   * a backup of the source (or, for engines whose replicas sync from nothing, such as Redis, an
   * empty one). A replica refuses client writes.
   */
  void startReplica(ReplicaSetup setup);

  /** The engine's role, link state, lag and position. */
  ReplicationStatus replicationStatus();

  /** Stops replicating and accepts writes. */
  void promote();

  /** Refuses client writes and replicates from nobody, until {@link #repoint}. */
  void fence();

  /**
   * Becomes (or stays) a replica of another source: a switchover demotes the old primary with this,
   * an ejection re-points the surviving replicas. An engine whose history diverged from the new
   * source's rewinds first (PostgreSQL: {@code pg_rewind}, then its per-instance settings again).
   */
  void repoint(ReplicaSetup setup);
}

package dev.coffer.agent.engine;

import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import java.util.Map;

/**
 * Optional engine capability: replication. An {@link Engine} that can serve and follow replicas
 * also implements this interface; the agent checks with {@code instanceof}. Every statement of the
 * engine's replication syntax (MariaDB's {@code CHANGE MASTER TO … MASTER_USE_GTID}, MySQL's {@code
 * CHANGE REPLICATION SOURCE TO}, PostgreSQL's {@code standby.signal} and slots, Redis's {@code
 * REPLICAOF}) stays in the engine's package.
 *
 * <p>A new replica is made in this order: {@link #prepareSource} on the running source; a backup of
 * the source (only if {@link #seedsFromBackup}); on the replica, {@link Engine#initialize}, the
 * backup's restore with the engine stopped, {@link #configureReplica} with the engine still
 * stopped, {@link Engine#start}, then {@link #startReplica}.
 *
 * <p>Every method is idempotent: the control plane re-sends a command after a crash.
 */
public interface ReplicationEngine {

  /**
   * Makes the running engine ready to serve a replica: the replication account (a reserved name)
   * with the request's password, what the engine needs per replica (for example a PostgreSQL
   * replication slot named after the replica's id) and, if asked, synchronous commits. Returns
   * engine positions the replica needs beyond a backup's manifest; may be empty.
   */
  Map<String, String> prepareSource(SourceRequest request);

  /** Forgets a replica that was detached or deleted (for example drops its slot). Idempotent. */
  void releaseReplica(String replicaId);

  /**
   * Whether a new replica is filled from a backup of its source (true) or syncs everything over the
   * replication link from an empty engine (false, for example Redis).
   */
  default boolean seedsFromBackup() {
    return true;
  }

  /**
   * Called with the engine stopped, after a restore of the source's backup: writes whatever makes
   * the next {@link Engine#start} come up as a read-only replica of {@code setup}'s source (for
   * example PostgreSQL's {@code standby.signal} and {@code primary_conninfo}). Nothing the engine
   * does from here on may write changes of its own into the replicated data.
   */
  void configureReplica(ReplicaSetup setup);

  /**
   * Called on the running engine after {@link #configureReplica}: starts replicating from {@code
   * setup}'s source (for example MariaDB's {@code CHANGE MASTER TO … START SLAVE} from the backup's
   * GTID). A replica refuses client writes.
   */
  void startReplica(ReplicaSetup setup);

  /** The engine's role, link state, lag and position. */
  ReplicationStatus replicationStatus();

  /** Stops replicating and accepts writes. */
  void promote();

  /** Refuses client writes and replicates from nobody, until {@link #repoint}. */
  void fence();

  /**
   * Becomes (or stays) a replica of another source on a running (or fenced) engine: a switchover
   * demotes the old primary with this, an ejection re-points the surviving replicas and rejoins the
   * old primary. An engine whose history diverged from the new source's rewinds first (PostgreSQL:
   * {@code pg_rewind}, then its per-instance settings again).
   */
  void repoint(ReplicaSetup setup);
}

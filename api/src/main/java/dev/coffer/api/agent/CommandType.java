package dev.coffer.api.agent;

/**
 * The uniform commands the control plane sends to an agent. Payload and result shapes are given per
 * constant; each engine turns them into its own syntax.
 */
public enum CommandType {
  /** Payload {@link PrepareRequest}: initialise and start the engine, create initial objects. */
  PREPARE,
  /** No payload: stop then start the engine. */
  RESTART,
  /** No payload: stop the engine for good; the agent exits after answering. */
  SHUTDOWN,
  /** Payload {@code List<DatabaseSpec>}. */
  CREATE_DATABASES,
  /** Payload {@link DatabaseSpec} (name only). */
  DELETE_DATABASE,
  /** Result {@code List<DatabaseSpec>}. */
  LIST_DATABASES,
  /** Payload {@code List<UserSpec>}. */
  CREATE_USERS,
  /** Payload {@link UserRef}. */
  DELETE_USER,
  /** Result {@code List<UserInfo>}. */
  LIST_USERS,
  /** Payload {@link UserRef}; result {@link UserInfo}, or error NOT_FOUND. */
  GET_USER,
  /** Payload {@link UserUpdate}. */
  UPDATE_USER,
  /** Payload {@link AccessChange}: grant access to each listed database. */
  GRANT_ACCESS,
  /** Payload {@link AccessChange} with exactly one database. */
  REVOKE_ACCESS,
  /** Payload {@link RootRequest}; result {@link RootCredentials}. */
  ENABLE_ROOT,
  /** No payload. */
  DISABLE_ROOT,
  /** Result {@link RootStatus}. */
  ROOT_STATUS,
  /** Payload {@link BackupRequest}; result {@link BackupResult}. */
  BACKUP,
  /** No payload; result {@link DataCheck} (restore drills). */
  CHECK_DATA,
  /**
   * No payload; result {@link LogArchiveStatus}. Closes the engine's current change-log file and
   * ships everything archived so far, so that the archive reaches the present (point-in-time
   * recovery to "just now").
   */
  FLUSH_LOG_ARCHIVE,
  /**
   * Payload {@link SourceRequest}; result {@code Map<String, String>} of positions the replica
   * needs.
   */
  PREPARE_SOURCE,
  /** Payload {@link SourceRequest} (replica id only): the source forgets a replica. */
  RELEASE_REPLICA,
  /** No payload; result {@link ReplicationStatus}. */
  REPLICATION_STATUS,
  /** No payload: stop replicating and accept writes. */
  PROMOTE,
  /** No payload: refuse writes and replicate from nobody until {@link #REPOINT}. */
  FENCE,
  /** Payload {@link ReplicaSetup}: become a replica of another source. */
  REPOINT,
  /**
   * Payload {@code Map<String, String>}: the instance's whole configuration (names from the
   * engine's parameter catalog; absent names return to their defaults); result {@link
   * ConfigurationResult}.
   */
  APPLY_CONFIGURATION,
  /** Payload {@code List<String>} of parameter names; result {@code Map<String, String>}. */
  GET_CONFIGURATION,
  /**
   * No payload; result {@code List<GuestLog>}: every log the engine keeps, with its file's state.
   */
  LIST_LOGS,
  /**
   * Payload {@link GuestLogChange}: turn a {@link GuestLogType#USER} log on or off, for good (it
   * survives restarts) and at once; result {@link GuestLog}.
   */
  SET_LOG,
  /**
   * Payload {@link GuestLogRead}; result {@link GuestLogChunk}: a bounded piece of a log file, from
   * an offset or its last lines.
   */
  READ_LOG,
  /** Payload {@link ClusterSetup}: with the engine stopped, write the cluster membership. */
  CONFIGURE_CLUSTER,
  /** Payload {@link ClusterSetup}: on the first member, form the cluster once every member runs. */
  FORM_CLUSTER,
  /** Payload {@link ClusterChange}: on an existing member, bring the added members in. */
  CLUSTER_MEMBERS_ADDED,
  /** Payload {@link ClusterSetup}: on a leaving member, hand its data to the others. */
  LEAVE_CLUSTER,
  /** Payload {@link ClusterChange}: on a remaining member, forget the removed members. */
  CLUSTER_MEMBERS_REMOVED,
  /** No payload; result {@link ClusterStatus}. */
  CLUSTER_STATUS
}

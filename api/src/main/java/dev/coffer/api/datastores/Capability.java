package dev.coffer.api.datastores;

/**
 * What a datastore can do. The control plane refuses an operation whose capability is missing with
 * the same 400 for every engine, before any command reaches an agent.
 */
public enum Capability {
  /** Databases (schemas) can be created, listed and deleted. */
  DATABASES("database"),
  /** Users can be created, listed, changed and deleted. */
  USERS("user"),
  /** User access can be granted and revoked per database. */
  USER_ACCESS("user_access"),
  /** Users carry a host pattern ({@code name@host}). */
  USER_HOSTS("user_host"),
  /** The engine's superuser can be enabled and disabled. */
  ROOT("root"),
  /** Full backups, and new instances restored from them. */
  BACKUP("backup_create"),
  /** Backups holding only the changes since a parent backup. */
  INCREMENTAL_BACKUP("incremental_backup"),
  /**
   * Continuous archiving of the engine's change log (PostgreSQL WAL), so a new instance can be
   * restored to any moment after a backup ({@code restorePoint.restore_time}).
   */
  POINT_IN_TIME_RECOVERY("point_in_time_recovery"),
  /** Read-only replicas of an instance, promotion of a replica, and fencing of an old primary. */
  REPLICATION("replication"),
  /**
   * Configuration groups: the engine's tunable parameters (its {@code ParameterSpec} catalog) set
   * through the same calls for every engine, applied live where the engine can.
   */
  CONFIGURATION("configuration"),
  /**
   * Clusters of several instances that serve as one (a Cassandra ring, a Redis Cluster, a Galera
   * cluster), created, grown and shrunk through Trove's cluster API.
   */
  CLUSTERS("cluster");

  private final String operation;

  Capability(String operation) {
    this.operation = operation;
  }

  /** The operation name used in Trove's "not supported" message. */
  public String operation() {
    return operation;
  }
}

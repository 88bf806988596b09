package dev.coffer.server.replication;

import java.time.Instant;

/**
 * One primary and its replicas, and the set's policy.
 *
 * @param id the set's id (the id of its first primary; it does not change when the primary does)
 * @param primaryId the instance that accepts writes now
 * @param wrappedPassword the replication account's password, wrapped by the master key
 * @param synchronous MariaDB semi-synchronous / PostgreSQL synchronous commits; chosen with the
 *     first replica
 * @param autoFailover whether the control plane promotes a replica by itself when the primary stops
 *     answering
 * @param failoverAfterSeconds how long the primary must be silent or down before that happens
 * @param maxLagSeconds a replica further behind than this is not promoted
 * @param endpointPort the port of the stable "current primary" endpoint on the server's address
 */
public record ReplicaSet(
    String id,
    String projectId,
    String primaryId,
    String wrappedPassword,
    boolean synchronous,
    boolean autoFailover,
    int failoverAfterSeconds,
    int maxLagSeconds,
    Integer endpointPort,
    Instant createdAt) {

  @Override
  public String toString() {
    return "ReplicaSet[id=%s primary=%s synchronous=%s autoFailover=%s]"
        .formatted(id, primaryId, synchronous, autoFailover);
  }
}

package dev.coffer.api.agent;

import java.util.Map;

/**
 * How a replica reaches its source.
 *
 * @param sourceId the source instance's id (engines may name slots or channels after it)
 * @param sourceHost the source's address
 * @param sourcePort the source engine's port
 * @param credentials the replication account on the source
 * @param positions engine positions to start from, such as a backup manifest's binlog GTID; may be
 *     empty
 * @param synchronous whether the set commits synchronously (MariaDB semi-synchronous replication,
 *     PostgreSQL synchronous standbys); an engine that cannot ignores it. The engine remembers it,
 *     so that a replica promoted later serves its own replicas the same way.
 */
public record ReplicaSetup(
    String sourceId,
    String sourceHost,
    int sourcePort,
    ReplicationCredentials credentials,
    Map<String, String> positions,
    boolean synchronous) {
  public ReplicaSetup {
    positions = positions == null ? Map.of() : Map.copyOf(positions);
  }

  @Override
  public String toString() {
    return "ReplicaSetup[source=%s %s:%d synchronous=%s]"
        .formatted(sourceId, sourceHost, sourcePort, synchronous);
  }
}

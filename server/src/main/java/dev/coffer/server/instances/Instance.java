package dev.coffer.server.instances;

import java.time.Instant;
import java.util.List;

/**
 * One database instance as the control plane knows it.
 *
 * @param address its own loopback address, allocated at create and freed at delete
 * @param port the engine's port, known once the compute driver has placed it
 */
public record Instance(
    String id,
    String projectId,
    String name,
    String datastoreVersionId,
    String flavorId,
    int volumeSize,
    Long volumeUsedBytes,
    String address,
    Integer port,
    boolean isPublic,
    List<String> allowedCidrs,
    TaskStatus task,
    ServiceStatus service,
    Instant serviceStatusUpdated,
    Instant heartbeatAt,
    String faultMessage,
    Instant faultAt,
    String agentSecretHash,
    Instant createdAt,
    Instant updatedAt,
    Instant deletedAt) {

  public Instance {
    allowedCidrs = List.copyOf(allowedCidrs);
  }
}

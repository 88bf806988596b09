package dev.coffer.server.clusters;

import java.time.Instant;
import java.util.Map;

/**
 * A cluster as the control plane knows it; its members are ordinary instances carrying its id.
 *
 * @param options engine settings of the cluster (Trove's {@code extended_properties}), never
 *     secrets
 * @param wrappedSecret the members' shared secret, wrapped with the master key
 * @param faultMessage why the last build, grow, shrink or delete failed; cleared by the next one
 */
public record Cluster(
    String id,
    String projectId,
    String name,
    String datastoreVersionId,
    ClusterTask task,
    Map<String, String> options,
    String wrappedSecret,
    String faultMessage,
    Instant createdAt,
    Instant updatedAt) {
  public Cluster {
    options = Map.copyOf(options);
  }

  @Override
  public String toString() {
    return "Cluster[id=%s, name=%s, task=%s]".formatted(id, name, task);
  }
}

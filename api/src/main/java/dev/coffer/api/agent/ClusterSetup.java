package dev.coffer.api.agent;

import java.util.List;
import java.util.Map;

/**
 * A cluster as one of its members must know it.
 *
 * @param clusterId the cluster's id (engines name the cluster after it where they need a name)
 * @param members every member, in the order they were added; the first ones are the seeds
 * @param self the member receiving this setup
 * @param bootstrap true only for the one member that starts a new cluster on its own (Galera's
 *     {@code --wsrep-new-cluster}); the others join it
 * @param options engine-specific settings of the cluster (for example Redis's {@code
 *     replicas_per_master}); never secrets
 * @param secret a shared secret the members use with each other (for example Galera's SST account
 *     password or Redis's cluster admin password); never logged
 */
public record ClusterSetup(
    String clusterId,
    List<ClusterMember> members,
    String self,
    boolean bootstrap,
    Map<String, String> options,
    String secret) {
  public ClusterSetup {
    members = List.copyOf(members);
    options = options == null ? Map.of() : Map.copyOf(options);
  }

  @Override
  public String toString() {
    return "ClusterSetup[cluster=%s, self=%s, members=%d, bootstrap=%s]"
        .formatted(clusterId, self, members.size(), bootstrap);
  }
}

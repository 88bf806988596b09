package dev.coffer.api.agent;

import java.util.List;
import java.util.Map;

/**
 * A member's view of its cluster.
 *
 * @param healthy whether the cluster serves fully from this member's point of view (Redis: {@code
 *     cluster_state:ok}; Galera: {@code wsrep_cluster_status=Primary} and synced; Cassandra: every
 *     known node up and normal)
 * @param members ids of the members this one sees as up
 * @param details engine facts for operators (slots per master, cluster size, ring ownership)
 */
public record ClusterStatus(boolean healthy, List<String> members, Map<String, String> details) {
  public ClusterStatus {
    members = List.copyOf(members);
    details = details == null ? Map.of() : Map.copyOf(details);
  }
}

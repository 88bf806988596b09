package dev.coffer.server.instances;

/**
 * An instance's membership of a cluster: Trove's {@code cluster_id} and the member's {@code type}
 * ({@code member} for every engine so far).
 */
public record ClusterLink(String clusterId, String type) {}

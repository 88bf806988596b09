package dev.coffer.agent.engine;

import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;

/**
 * Optional engine capability: clusters (a Cassandra ring, a Redis Cluster, a Galera cluster). The
 * agent checks with {@code instanceof}; every statement of the engine's cluster syntax stays in its
 * package.
 *
 * <p>A new cluster is made in this order: on every member, {@link Engine#initialize} and {@link
 * #configureCluster} with the engine stopped, then {@link Engine#start} (the bootstrap member
 * first, then the others, one at a time for engines that need it); then {@link #formCluster} on the
 * first member once all run. Growing: the new members are configured and started the same way with
 * the grown setup, then {@link #membersAdded} runs on an existing member. Shrinking: {@link
 * #leaveCluster} runs on each leaving member (its data moves to the others), then {@link
 * #membersRemoved} on a remaining member, then the leaving instances are deleted.
 *
 * <p>Every method is idempotent: the control plane re-sends a command after a crash.
 */
public interface ClusterEngine {

  /**
   * With the engine stopped: writes what makes the next start join {@code setup}'s cluster
   * (Cassandra's seeds and cluster name, Galera's {@code wsrep_cluster_address}, Redis's {@code
   * cluster-enabled}). Also called again with the grown or shrunk setup, so that a restart finds
   * the current members.
   */
  void configureCluster(ClusterSetup setup);

  /**
   * On the first member, once every member runs: whatever the engine needs beyond starting (Redis:
   * {@code CLUSTER MEET}, slot assignment, replicas; Galera and Cassandra: nothing, they form on
   * start). Returns once the cluster is healthy.
   */
  void formCluster(ClusterSetup setup);

  /**
   * On an existing member, after the new members of {@code setup} run: brings them in (Redis: meet
   * them and move slots to new masters; Cassandra and Galera: wait until they joined).
   */
  void membersAdded(ClusterSetup setup, java.util.List<String> added);

  /**
   * On a member that leaves, while it still runs: hands its data to the others (Cassandra's {@code
   * nodetool decommission}; Redis: move its slots away; Galera: nothing). After it returns, the
   * member may be stopped without losing anything.
   */
  void leaveCluster(ClusterSetup setup);

  /** On a remaining member, after members left: forgets them (Redis's {@code CLUSTER FORGET}). */
  void membersRemoved(ClusterSetup setup, java.util.List<String> removed);

  /** This member's view of the cluster. */
  ClusterStatus clusterStatus();
}

package dev.coffer.server.instances;

import dev.coffer.api.agent.EngineStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Storage of instances. Deleted instances are kept (soft delete) without an address. */
public interface InstanceRepository {

  /** Inserts the instance with a free loopback address from the pool; returns it as stored. */
  Instance insert(Instance instance);

  /** A live (not deleted) instance of the project. */
  Optional<Instance> find(String projectId, String id);

  /** Any live instance, whatever its project (agents, tasks). */
  Optional<Instance> find(String id);

  /** Live instances of a project ordered by creation, after {@code marker} if given. */
  List<Instance> list(String projectId, int limit, Optional<String> marker);

  /**
   * Like {@link #list(String, int, Optional)}, without the members of clusters unless {@code
   * includeClustered} (Trove's {@code include_clustered}).
   */
  List<Instance> list(
      String projectId, int limit, Optional<String> marker, boolean includeClustered);

  List<Instance> live();

  /** Makes the instance a member of a cluster ({@code type}: Trove's member type). */
  void setCluster(String id, String clusterId, String type);

  /** The cluster the instance belongs to, if any. */
  Optional<ClusterLink> clusterOf(String id);

  /** Live members of a cluster, oldest first. */
  List<Instance> clusterMembers(String clusterId);

  long countLive(String projectId);

  long liveVolumeGb(String projectId);

  void setTask(String id, TaskStatus task);

  void setFault(String id, TaskStatus task, String message);

  /**
   * Like {@link #setFault} but only while the instance's task is still {@code expected}: a watchdog
   * acting on an old read must not overwrite what a task has just finished.
   *
   * @return whether the instance was in {@code expected} and was changed
   */
  boolean setFaultIf(String id, TaskStatus expected, TaskStatus task, String message);

  void recordHeartbeat(String id, EngineStatus status, long volumeUsedBytes, Instant at);

  /** The agent just confirmed the engine serves: RUNNING now, without waiting for a heartbeat. */
  void markRunning(String id, Instant at);

  void setPlacement(String id, int port, String agentSecretHash);

  void rename(String id, String name);

  void setVolumeSize(String id, int sizeGb);

  void setFlavor(String id, String flavorId);

  void setDatastoreVersion(String id, String datastoreVersionId);

  void setDeletionProtection(String id, boolean protect);

  boolean hasDeletionProtection(String id);

  void setAccess(String id, boolean isPublic, List<String> allowedCidrs);

  void markDeleted(String id);
}

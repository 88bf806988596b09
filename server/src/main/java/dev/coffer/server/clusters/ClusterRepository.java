package dev.coffer.server.clusters;

import java.util.List;
import java.util.Optional;

/** Storage of clusters. Deleted clusters are kept (soft delete). */
public interface ClusterRepository {
  void insert(Cluster cluster);

  /** A live cluster of the project. */
  Optional<Cluster> find(String projectId, String id);

  /** Any live cluster (tasks). */
  Optional<Cluster> find(String id);

  /** Live clusters of the project, oldest first. */
  List<Cluster> list(String projectId);

  /** Sets the task; {@code fault} replaces the fault message (null clears it). */
  void setTask(String id, ClusterTask task, String fault);

  void markDeleted(String id);
}

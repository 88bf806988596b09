package dev.coffer.server.clusters;

/**
 * What long operation a cluster is in: Trove's ClusterTasks, with their ids, displayed names and
 * descriptions (the API shows them as the cluster's {@code task}).
 */
public enum ClusterTask {
  NONE(1, "NONE", "No tasks for the cluster."),
  BUILDING_INITIAL(2, "BUILDING", "Building the initial cluster."),
  DELETING(3, "DELETING", "Deleting the cluster."),
  GROWING_CLUSTER(5, "GROWING_CLUSTER", "Increasing the size of the cluster."),
  SHRINKING_CLUSTER(6, "SHRINKING_CLUSTER", "Decreasing the size of the cluster.");

  private final int id;
  private final String label;
  private final String description;

  ClusterTask(int id, String label, String description) {
    this.id = id;
    this.label = label;
    this.description = description;
  }

  public int id() {
    return id;
  }

  /** The name Trove shows ({@code BUILDING} for BUILDING_INITIAL). */
  public String label() {
    return label;
  }

  public String description() {
    return description;
  }
}

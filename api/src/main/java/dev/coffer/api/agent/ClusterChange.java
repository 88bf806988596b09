package dev.coffer.api.agent;

import java.util.List;

/** A cluster after members were added or removed, and which ones. */
public record ClusterChange(ClusterSetup setup, List<String> instanceIds) {
  public ClusterChange {
    instanceIds = List.copyOf(instanceIds);
  }
}

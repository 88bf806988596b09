package dev.coffer.server.events;

import dev.coffer.api.agent.EngineStatus;
import dev.coffer.server.instances.ClusterLink;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The instance repository with events: after every write that can change an instance's status the
 * status watcher looks at it, and every fault recorded is published as {@code instance.fault}.
 */
public final class WatchedInstances implements InstanceRepository {
  private final InstanceRepository delegate;
  private final StatusWatcher watcher;
  private final EventSink events;

  public WatchedInstances(InstanceRepository delegate, StatusWatcher watcher, EventSink events) {
    this.delegate = delegate;
    this.watcher = watcher;
    this.events = events;
  }

  @Override
  public Instance insert(Instance instance) {
    Instance inserted = delegate.insert(instance);
    watcher.checkWhenCommitted(inserted.id());
    return inserted;
  }

  @Override
  public Optional<Instance> find(String projectId, String id) {
    return delegate.find(projectId, id);
  }

  @Override
  public Optional<Instance> find(String id) {
    return delegate.find(id);
  }

  @Override
  public List<Instance> list(String projectId, int limit, Optional<String> marker) {
    return delegate.list(projectId, limit, marker);
  }

  @Override
  public List<Instance> list(
      String projectId, int limit, Optional<String> marker, boolean includeClustered) {
    return delegate.list(projectId, limit, marker, includeClustered);
  }

  @Override
  public List<Instance> live() {
    return delegate.live();
  }

  @Override
  public void setCluster(String id, String clusterId, String type) {
    delegate.setCluster(id, clusterId, type);
  }

  @Override
  public Optional<ClusterLink> clusterOf(String id) {
    return delegate.clusterOf(id);
  }

  @Override
  public List<Instance> clusterMembers(String clusterId) {
    return delegate.clusterMembers(clusterId);
  }

  @Override
  public long countLive(String projectId) {
    return delegate.countLive(projectId);
  }

  @Override
  public long liveVolumeGb(String projectId) {
    return delegate.liveVolumeGb(projectId);
  }

  @Override
  public void setTask(String id, TaskStatus task) {
    delegate.setTask(id, task);
    watcher.check(id);
  }

  @Override
  public void setFault(String id, TaskStatus task, String message) {
    delegate.setFault(id, task, message);
    faulted(id, message);
    watcher.check(id);
  }

  @Override
  public boolean setFaultIf(String id, TaskStatus expected, TaskStatus task, String message) {
    boolean changed = delegate.setFaultIf(id, expected, task, message);
    if (changed) {
      faulted(id, message);
      watcher.check(id);
    }
    return changed;
  }

  private void faulted(String id, String message) {
    if (message == null || message.isEmpty()) {
      return;
    }
    delegate
        .find(id)
        .ifPresent(
            i ->
                events.publish(
                    new Event(
                        i.projectId(),
                        "instance",
                        id,
                        "instance.fault",
                        "error",
                        message,
                        Map.of("task", i.task().name()),
                        Instant.now())));
  }

  @Override
  public void recordHeartbeat(String id, EngineStatus status, long volumeUsedBytes, Instant at) {
    delegate.recordHeartbeat(id, status, volumeUsedBytes, at);
    watcher.check(id);
  }

  @Override
  public void markRunning(String id, Instant at) {
    delegate.markRunning(id, at);
    watcher.check(id);
  }

  @Override
  public void setPlacement(String id, int port, String agentSecretHash) {
    delegate.setPlacement(id, port, agentSecretHash);
  }

  @Override
  public void rename(String id, String name) {
    delegate.rename(id, name);
  }

  @Override
  public void setVolumeSize(String id, int sizeGb) {
    delegate.setVolumeSize(id, sizeGb);
  }

  @Override
  public void setFlavor(String id, String flavorId) {
    delegate.setFlavor(id, flavorId);
  }

  @Override
  public void setDatastoreVersion(String id, String datastoreVersionId) {
    delegate.setDatastoreVersion(id, datastoreVersionId);
  }

  @Override
  public void setDeletionProtection(String id, boolean protect) {
    delegate.setDeletionProtection(id, protect);
  }

  @Override
  public boolean hasDeletionProtection(String id) {
    return delegate.hasDeletionProtection(id);
  }

  @Override
  public void setAccess(String id, boolean isPublic, List<String> allowedCidrs) {
    delegate.setAccess(id, isPublic, allowedCidrs);
  }

  @Override
  public void markDeleted(String id) {
    delegate.markDeleted(id);
    watcher.check(id);
  }
}

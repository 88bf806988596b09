package dev.coffer.server.configurations;

import java.util.List;
import java.util.Optional;

/** Storage of configuration groups and of which instance has which. */
public interface ConfigurationRepository {
  void insert(ConfigurationGroup group);

  Optional<ConfigurationGroup> find(String projectId, String id);

  /** Any project's group (the apply task knows only the instance). */
  Optional<ConfigurationGroup> find(String id);

  List<ConfigurationGroup> list(String projectId);

  void update(ConfigurationGroup group);

  void delete(String id);

  /** The instance's group id, if one is attached. */
  Optional<String> attached(String instanceId);

  /** Instances the group is attached to. */
  List<String> instancesOf(String groupId);

  /** Attaches ({@code groupId} not null) or detaches the instance's group. */
  void setAttached(String instanceId, String groupId);

  boolean restartPending(String instanceId);

  void setRestartPending(String instanceId, boolean pending);

  /** The instance is gone: forget its row. */
  void forget(String instanceId);
}

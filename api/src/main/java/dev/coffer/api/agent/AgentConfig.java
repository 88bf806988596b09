package dev.coffer.api.agent;

import java.util.Map;

/**
 * Everything a guest agent needs to run one instance. Written by the compute driver into the
 * instance directory (mode 0600) before the agent starts; the agent never receives it any other
 * way.
 *
 * @param instanceDir root of the instance's files: {@code data/}, {@code run/}, {@code log/}
 * @param runAsUser OS user the engine runs as when the agent runs as root; empty otherwise
 * @param binaries engine executables found at discovery, by role (for example {@code server})
 */
public record AgentConfig(
    String instanceId,
    String controlPlaneUrl,
    String secret,
    String datastore,
    String datastoreVersion,
    String bindAddress,
    int port,
    String instanceDir,
    int memoryMb,
    long volumeBytes,
    String runAsUser,
    Map<String, String> binaries) {

  @Override
  public String toString() {
    return "AgentConfig[instanceId=%s, datastore=%s %s, address=%s:%d, dir=%s]"
        .formatted(instanceId, datastore, datastoreVersion, bindAddress, port, instanceDir);
  }
}

package dev.coffer.server.compute;

import java.util.List;
import java.util.Map;

/** What the compute driver needs to place and run one instance's agent and engine. */
public record InstanceLaunch(
    String instanceId,
    String datastore,
    String datastoreVersion,
    Map<String, String> binaries,
    String address,
    int preferredPort,
    int memoryMb,
    int volumeGb,
    List<String> allowedCidrs) {
  public InstanceLaunch {
    allowedCidrs = List.copyOf(allowedCidrs);
  }
}

package dev.coffer.server.instances;

import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.compute.Placement;
import dev.coffer.server.identity.PasswordHasher;

/** Puts an instance on the compute (or finds it there) and makes sure its agent runs. */
public final class InstancePlacement {
  private final InstanceRepository instances;
  private final InstanceService service;
  private final ComputeDriver compute;
  private final AgentGateway agents;

  public InstancePlacement(
      InstanceRepository instances,
      InstanceService service,
      ComputeDriver compute,
      AgentGateway agents) {
    this.instances = instances;
    this.service = service;
    this.compute = compute;
    this.agents = agents;
  }

  /** Idempotent: an instance already placed with a live agent is returned as it is. */
  public Instance place(Instance instance) {
    Placement placement = compute.ensureRunning(service.launch(instance));
    instances.setPlacement(
        instance.id(), placement.port(), PasswordHasher.sha256(placement.agentSecret()));
    if (placement.agentStarted()) {
      agents.requeueUnanswered(instance.id());
    }
    return instances.find(instance.id()).orElse(instance);
  }
}

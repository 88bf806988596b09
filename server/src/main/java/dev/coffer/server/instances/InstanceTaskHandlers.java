package dev.coffer.server.instances;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable steps of create, delete and restart. Each step is safe to repeat: placement checks
 * what exists, commands carry ids derived from the task, and results are looked up by those ids.
 */
public final class InstanceTaskHandlers {
  private static final Logger log = LoggerFactory.getLogger(InstanceTaskHandlers.class);

  private final InstanceRepository instances;
  private final InstanceService service;
  private final ComputeDriver compute;
  private final AgentGateway agents;
  private final ObjectMapper json;

  /** Last words with a running instance before it is destroyed (its final log archive flush). */
  private final Consumer<Instance> beforeDelete;

  /** Told the id of each deleted instance (its log archive may go with it). */
  private final Consumer<String> afterDelete;

  /** Told the id of each restarted instance (every configuration value is in effect now). */
  private final Consumer<String> afterRestart;

  public InstanceTaskHandlers(
      InstanceRepository instances,
      InstanceService service,
      ComputeDriver compute,
      AgentGateway agents,
      ObjectMapper json,
      Consumer<Instance> beforeDelete,
      Consumer<String> afterDelete,
      Consumer<String> afterRestart) {
    this.instances = instances;
    this.service = service;
    this.compute = compute;
    this.agents = agents;
    this.json = json;
    this.beforeDelete = beforeDelete;
    this.afterDelete = afterDelete;
    this.afterRestart = afterRestart;
  }

  public List<TaskHandler> all() {
    return List.of(
        new Create(), new Delete(), new Restart(), new ResizeVolume(), new ResizeFlavor());
  }

  private Optional<Instance> live(Task task) {
    return instances.find(task.instanceId());
  }

  private Instance place(Instance instance) {
    return new InstancePlacement(instances, service, compute, agents).place(instance);
  }

  private CommandResult awaitUntilDeadline(Task task, String commandId) throws TimeoutException {
    Duration left = Duration.between(Instant.now(), task.deadline());
    if (left.isNegative()) {
      throw new TimeoutException("deadline passed");
    }
    return agents.await(commandId, left);
  }

  final class Create implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.CREATE_INSTANCE;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Instance> found = live(task);
      if (found.isEmpty() || found.get().task() != TaskStatus.BUILDING) {
        return;
      }
      Instance instance = place(found.get());
      PrepareRequest initial =
          task.payload() == null
              ? new PrepareRequest(List.of(), List.of())
              : json.readValue(task.payload(), PrepareRequest.class);
      String commandId = task.id() + ":prepare";
      agents.send(instance.id(), commandId, CommandType.PREPARE, initial);
      CommandResult result;
      try {
        result = awaitUntilDeadline(task, commandId);
      } catch (TimeoutException e) {
        throw new PermanentFailure(
            "The engine did not become ready within "
                + task.type().timeout().toMinutes()
                + " minutes.");
      }
      if (!result.ok()) {
        throw new PermanentFailure("The engine could not be prepared: " + result.error());
      }
      // The agent answers only once the engine accepts connections: show ACTIVE now rather
      // than after its next heartbeat.
      instances.markRunning(instance.id(), Instant.now());
      instances.setFault(instance.id(), TaskStatus.NONE, null);
      log.info("event=instance_active instance={} project={}", instance.id(), instance.projectId());
    }

    @Override
    public void giveUp(Task task, String reason) {
      live(task)
          .ifPresent(
              instance -> {
                agents.cancelAll(instance.id());
                compute.stop(instance.id());
                instances.setFault(instance.id(), TaskStatus.BUILDING_ERROR, reason);
                log.warn("event=instance_error instance={} reason=\"{}\"", instance.id(), reason);
              });
    }
  }

  final class Delete implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.DELETE_INSTANCE;
    }

    @Override
    public void run(Task task) {
      Optional<Instance> found = live(task);
      if (found.isEmpty()) {
        return;
      }
      beforeDelete.accept(found.get());
      agents.cancelAll(task.instanceId());
      compute.destroy(task.instanceId());
      if (!compute.isGone(task.instanceId())) {
        throw new IllegalStateException("processes or files of the instance remain; retrying");
      }
      instances.markDeleted(task.instanceId());
      log.info("event=instance_deleted instance={}", task.instanceId());
      afterDelete.accept(task.instanceId());
    }

    @Override
    public void giveUp(Task task, String reason) {
      instances.setFault(task.instanceId(), TaskStatus.DELETING_ERROR, "Delete failed: " + reason);
    }
  }

  final class Restart implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.RESTART_INSTANCE;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Instance> found = live(task);
      if (found.isEmpty() || found.get().task() != TaskStatus.REBOOTING) {
        return;
      }
      Instance instance = place(found.get());
      String commandId = task.id() + ":restart";
      agents.send(instance.id(), commandId, CommandType.RESTART, null);
      CommandResult result;
      try {
        result = awaitUntilDeadline(task, commandId);
      } catch (TimeoutException e) {
        throw new PermanentFailure("The engine did not restart in time.");
      }
      if (!result.ok()) {
        throw new PermanentFailure("Restart failed: " + result.error());
      }
      instances.markRunning(instance.id(), Instant.now());
      instances.setFault(instance.id(), TaskStatus.NONE, null);
      afterRestart.accept(instance.id());
      log.info("event=instance_restarted instance={}", instance.id());
    }

    @Override
    public void giveUp(Task task, String reason) {
      // Like Trove, a failed restart returns the task to NONE; the engine's status tells the rest.
      instances.setFault(task.instanceId(), TaskStatus.NONE, reason);
    }
  }

  /** Grows the volume online; a failure leaves the old size, ACTIVE, with a fault message. */
  final class ResizeVolume implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.RESIZE_VOLUME;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Instance> found = live(task);
      if (found.isEmpty() || found.get().task() != TaskStatus.RESIZING) {
        return;
      }
      int size = Integer.parseInt(task.payload());
      Instance instance = place(found.get());
      compute.growVolume(instance.id(), size);
      instances.setVolumeSize(instance.id(), size);
      // An offline resize stopped the instance: mount and start it again (a no-op otherwise), and
      // wait until the engine answers (an empty PREPARE returns once it does) before ACTIVE.
      place(instance);
      String commandId = task.id() + ":ready";
      agents.send(
          instance.id(), commandId, CommandType.PREPARE, new PrepareRequest(List.of(), List.of()));
      CommandResult ready;
      try {
        ready = awaitUntilDeadline(task, commandId);
      } catch (TimeoutException e) {
        throw new PermanentFailure("The engine did not start again after the volume resize.");
      }
      if (!ready.ok()) {
        throw new PermanentFailure(
            "The engine did not start after the volume resize: " + ready.error());
      }
      instances.markRunning(instance.id(), Instant.now());
      instances.setFault(instance.id(), TaskStatus.NONE, null);
      log.info("event=instance_volume_resized instance={} volume_gb={}", instance.id(), size);
    }

    @Override
    public void giveUp(Task task, String reason) {
      instances.setFault(task.instanceId(), TaskStatus.NONE, "Volume resize failed: " + reason);
    }
  }

  /**
   * Restarts the engine with the memory settings of another flavor. An engine that does not come up
   * on it is started again on the old flavor: the instance ends ACTIVE there, with a fault message
   * that says why.
   */
  final class ResizeFlavor implements TaskHandler {
    /** How long one start may take before the resize is rolled back. */
    private static final Duration START = Duration.ofMinutes(3);

    @Override
    public TaskType type() {
      return TaskType.RESIZE_FLAVOR;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Instance> found = live(task);
      if (found.isEmpty() || found.get().task() != TaskStatus.RESIZING) {
        return;
      }
      FlavorChange change = json.readValue(task.payload(), FlavorChange.class);
      // Always from a stop: after a crash the agent may run with either flavor's memory.
      Optional<String> failure =
          startOn(found.get(), change.toFlavorId(), task, "up" + task.attempts());
      if (failure.isEmpty()) {
        instances.markRunning(task.instanceId(), Instant.now());
        instances.setFault(task.instanceId(), TaskStatus.NONE, null);
        afterRestart.accept(task.instanceId());
        log.info(
            "event=instance_flavor_resized instance={} flavor={}",
            task.instanceId(),
            change.toFlavorId());
        return;
      }
      log.warn(
          "event=instance_flavor_resize_failed instance={} flavor={} reason=\"{}\"",
          task.instanceId(),
          change.toFlavorId(),
          failure.get());
      Optional<String> back =
          startOn(found.get(), change.fromFlavorId(), task, "back" + task.attempts());
      if (back.isPresent()) {
        throw new PermanentFailure(
            "The engine did not start on flavor "
                + change.toFlavorId()
                + " ("
                + failure.get()
                + ") nor again on flavor "
                + change.fromFlavorId()
                + " ("
                + back.get()
                + ").");
      }
      instances.markRunning(task.instanceId(), Instant.now());
      instances.setFault(
          task.instanceId(),
          TaskStatus.NONE,
          "Resize to flavor "
              + change.toFlavorId()
              + " failed: "
              + failure.get()
              + "; the instance runs on its previous flavor "
              + change.fromFlavorId()
              + ".");
      afterRestart.accept(task.instanceId());
    }

    /** Stops the instance, records {@code flavorId} and starts it; empty once the engine serves. */
    private Optional<String> startOn(Instance instance, String flavorId, Task task, String step)
        throws Exception {
      agents.cancelAll(instance.id());
      compute.stop(instance.id());
      instances.setFlavor(instance.id(), flavorId);
      Instance placed = place(instances.find(instance.id()).orElseThrow());
      String commandId = task.id() + ":" + step;
      agents.send(
          placed.id(), commandId, CommandType.PREPARE, new PrepareRequest(List.of(), List.of()));
      Duration left = Duration.between(Instant.now(), task.deadline());
      if (left.isNegative()) {
        throw new TimeoutException("deadline passed");
      }
      try {
        CommandResult ready = agents.await(commandId, left.compareTo(START) < 0 ? left : START);
        return ready.ok() ? Optional.empty() : Optional.of(ready.error());
      } catch (TimeoutException e) {
        return Optional.of("the engine did not answer within " + START.toMinutes() + " minutes");
      }
    }

    @Override
    public void giveUp(Task task, String reason) {
      // Back to the flavor the instance ran on; the reconciler starts its agent again.
      try {
        FlavorChange change = json.readValue(task.payload(), FlavorChange.class);
        instances.setFlavor(task.instanceId(), change.fromFlavorId());
      } catch (java.io.IOException | RuntimeException e) {
        log.warn("event=flavor_rollback_unknown instance={} error=\"{}\"", task.instanceId(), e);
      }
      instances.setFault(task.instanceId(), TaskStatus.NONE, "Flavor resize failed: " + reason);
    }
  }
}

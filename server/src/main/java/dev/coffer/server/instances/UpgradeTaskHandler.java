package dev.coffer.server.instances;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.backups.Backup;
import dev.coffer.server.backups.BackupRepository;
import dev.coffer.server.backups.BackupStatus;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.instances.InstanceUpgrades.Plan;
import dev.coffer.server.instances.InstanceUpgrades.Step;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskRepository;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable steps of an upgrade: wait for the pre-upgrade backup; stop the instance, switch its
 * version (the agent config names the new version's executables) and start it, the agent running
 * the engine's upgrade step; if the engine is not healthy within {@link #HEALTH_DEADLINE}, stop,
 * switch back and start on the old version, ACTIVE with a fault message saying why. The step is
 * saved in the task's payload as it advances, so a resumed task goes on from where it was.
 */
public final class UpgradeTaskHandler implements TaskHandler {
  private static final Logger log = LoggerFactory.getLogger(UpgradeTaskHandler.class);

  /** How long the engine may take to start (and upgrade its data) on the new version. */
  static final Duration HEALTH_DEADLINE = Duration.ofMinutes(10);

  private final InstanceRepository instances;
  private final InstanceService service;
  private final BackupRepository backups;
  private final TaskRepository taskRepository;
  private final InstancePlacement placement;
  private final ComputeDriver compute;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public UpgradeTaskHandler(
      InstanceRepository instances,
      InstanceService service,
      BackupRepository backups,
      TaskRepository taskRepository,
      ComputeDriver compute,
      AgentGateway agents,
      ObjectMapper json) {
    this.instances = instances;
    this.service = service;
    this.backups = backups;
    this.taskRepository = taskRepository;
    this.placement = new InstancePlacement(instances, service, compute, agents);
    this.compute = compute;
    this.agents = agents;
    this.json = json;
  }

  @Override
  public TaskType type() {
    return TaskType.UPGRADE_INSTANCE;
  }

  @Override
  public void run(Task task) throws Exception {
    Optional<Instance> found = instances.find(task.instanceId());
    if (found.isEmpty() || found.get().task() != TaskStatus.UPGRADING) {
      return;
    }
    Instance instance = found.get();
    Plan plan = json.readValue(task.payload(), Plan.class);
    DatastoreVersion from = service.datastores().version(plan.fromVersionId(), true);
    DatastoreVersion to = service.datastores().version(plan.toVersionId(), true);
    if (plan.step() == Step.BACKUP) {
      String backupId = plan.backupId();
      if (backupId != null) {
        Backup backup =
            backups
                .find(backupId)
                .orElseThrow(
                    () ->
                        new PermanentFailure(
                            "the pre-upgrade backup " + backupId + " was deleted"));
        if (backup.status().running()) {
          // Retried by the runner: the backup is a task of this same instance, run before us.
          throw new IllegalStateException(
              "waiting for the pre-upgrade backup " + backup.id() + " (" + backup.status() + ")");
        }
        if (backup.status() != BackupStatus.COMPLETED) {
          throw new PermanentFailure(
              "the pre-upgrade backup "
                  + backup.id()
                  + " failed"
                  + (backup.faultMessage() == null ? "" : ": " + backup.faultMessage()));
        }
      }
      plan = save(task, plan.at(Step.SWITCH, null));
    }
    if (plan.step() == Step.SWITCH) {
      log.info(
          "event=instance_upgrade_started instance={} from={} to={}",
          instance.id(),
          from.name(),
          to.name());
      Optional<String> failure = startOn(task, instance, to, "upgrade");
      if (failure.isEmpty()) {
        instances.markRunning(instance.id(), Instant.now());
        instances.setFault(instance.id(), TaskStatus.NONE, null);
        log.info(
            "event=instance_upgraded instance={} from={} to={}",
            instance.id(),
            from.name(),
            to.name());
        return;
      }
      log.warn(
          "event=instance_upgrade_failed instance={} to={} reason=\"{}\"; rolling back to {}",
          instance.id(),
          to.name(),
          failure.get(),
          from.name());
      plan = save(task, plan.at(Step.ROLLBACK, failure.get()));
    }
    Optional<String> rollbackFailure = startOn(task, instance, from, "rollback");
    if (rollbackFailure.isPresent()) {
      throw new PermanentFailure(
          "Upgrade to "
              + to.name()
              + " failed: "
              + plan.failure()
              + "; the rollback to "
              + from.name()
              + " failed too: "
              + rollbackFailure.get()
              + backupNote(plan));
    }
    instances.markRunning(instance.id(), Instant.now());
    instances.setFault(
        instance.id(),
        TaskStatus.NONE,
        "Upgrade to "
            + to.name()
            + " failed: "
            + plan.failure()
            + "; rolled back to "
            + from.name()
            + backupNote(plan));
    log.warn(
        "event=instance_upgrade_rolled_back instance={} to={} back_on={}",
        instance.id(),
        to.name(),
        from.name());
  }

  private static String backupNote(Plan plan) {
    return plan.backupId() == null
        ? "."
        : "; backup " + plan.backupId() + " was taken before the upgrade.";
  }

  private Plan save(Task task, Plan plan) throws Exception {
    taskRepository.savePayload(task.id(), json.writeValueAsString(plan));
    return plan;
  }

  /**
   * Stops the instance, puts it on {@code version} and starts it; empty once the engine answers (an
   * empty PREPARE returns then), else why not.
   */
  private Optional<String> startOn(
      Task task, Instance instance, DatastoreVersion version, String phase) {
    instances.setDatastoreVersion(instance.id(), version.id());
    compute.stop(instance.id());
    Instance placed = placement.place(instances.find(instance.id()).orElseThrow());
    // A fresh command id per attempt: a result from before a crash says nothing about this start.
    String commandId = task.id() + ":" + phase + ":" + task.attempts();
    agents.send(
        placed.id(), commandId, CommandType.PREPARE, new PrepareRequest(List.of(), List.of()));
    Duration left = Duration.between(Instant.now(), task.deadline());
    Duration wait = left.compareTo(HEALTH_DEADLINE) < 0 ? left : HEALTH_DEADLINE;
    try {
      CommandResult result = agents.await(commandId, wait.isNegative() ? Duration.ZERO : wait);
      return result.ok() ? Optional.empty() : Optional.of(result.error());
    } catch (TimeoutException e) {
      agents.cancel(commandId);
      return Optional.of(
          "the engine did not become healthy within "
              + wait.toSeconds()
              + " s on "
              + version.name());
    }
  }

  @Override
  public void giveUp(Task task, String reason) {
    Optional<Instance> found = instances.find(task.instanceId());
    if (found.isEmpty()) {
      return;
    }
    Step step = Step.BACKUP;
    Plan plan = null;
    try {
      plan = json.readValue(task.payload(), Plan.class);
      step = plan.step();
    } catch (Exception e) {
      log.warn("event=task_payload_unreadable task={}", task.id());
    }
    if (step == Step.BACKUP) {
      // Nothing was touched: the instance stays as it was, on its version.
      String name =
          plan == null
              ? "the new version"
              : service.datastores().version(plan.toVersionId(), true).name();
      instances.setFault(
          task.instanceId(), TaskStatus.NONE, "Upgrade to " + name + " not started: " + reason);
    } else {
      instances.setFault(task.instanceId(), TaskStatus.UPGRADING_ERROR, reason);
    }
    log.warn("event=instance_upgrade_gave_up instance={} reason=\"{}\"", task.instanceId(), reason);
  }
}

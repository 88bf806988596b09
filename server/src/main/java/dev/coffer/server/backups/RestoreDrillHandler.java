package dev.coffer.server.backups;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.DataCheck;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.identity.Role;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.instances.StatusRules;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore drill (beyond Trove): restore the backup into a scratch instance, let the engine check
 * the data and count it, record how long the restore took, and delete the scratch instance. The
 * task's payload is the backup id; the scratch instance is named {@code drill-<backup id>}.
 */
public final class RestoreDrillHandler implements TaskHandler {
  private static final Logger log = LoggerFactory.getLogger(RestoreDrillHandler.class);

  private final BackupRepository backups;
  private final BackupService service;
  private final InstanceService instanceService;
  private final InstanceRepository instances;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public RestoreDrillHandler(
      BackupRepository backups,
      BackupService service,
      InstanceService instanceService,
      InstanceRepository instances,
      AgentGateway agents,
      ObjectMapper json) {
    this.backups = backups;
    this.service = service;
    this.instanceService = instanceService;
    this.instances = instances;
    this.agents = agents;
    this.json = json;
  }

  @Override
  public TaskType type() {
    return TaskType.VERIFY_BACKUP;
  }

  private static Principal drill(String projectId) {
    return new Principal("restore-drill", "restore-drill", projectId, "", Role.MEMBER, "drill");
  }

  private static String scratchName(Backup backup) {
    return "drill-" + backup.id();
  }

  private Optional<Instance> scratch(Backup backup) {
    return instances.list(backup.projectId(), Integer.MAX_VALUE, Optional.empty()).stream()
        .filter(i -> i.name().equals(scratchName(backup)))
        .findFirst();
  }

  @Override
  public void run(Task task) throws Exception {
    Backup backup = backups.find(task.payload()).orElse(null);
    if (backup == null || backup.status() != BackupStatus.COMPLETED) {
      return;
    }
    Principal principal = drill(backup.projectId());
    Instance scratch =
        scratch(backup)
            .orElseGet(
                () -> {
                  DatastoreVersion version =
                      instanceService.datastores().version(backup.datastoreVersionId(), true);
                  int sizeGb =
                      (int)
                          Math.max(
                              1,
                              Math.ceil(
                                  (backup.plainBytes() == null ? 0 : backup.plainBytes())
                                      / (1024.0 * 1024 * 1024)
                                      * 1.5));
                  return instanceService.create(
                      principal,
                      new InstanceService.CreateRequest(
                          scratchName(backup),
                          instanceService.flavors().byId("1").orElseThrow(),
                          sizeGb,
                          version,
                          new PrepareRequest(
                              List.of(), List.of(), service.restoreRequest(principal, backup.id())),
                          false,
                          List.of()));
                });
    try {
      Instant deadline = task.deadline();
      Instance active = awaitActive(scratch.id(), deadline);
      double restoreSeconds =
          Duration.between(active.createdAt(), Instant.now()).toMillis() / 1000.0;
      String commandId = task.id() + ":check";
      agents.send(active.id(), commandId, CommandType.CHECK_DATA, null);
      CommandResult result;
      try {
        result = agents.await(commandId, Duration.ofMinutes(30));
      } catch (TimeoutException e) {
        throw new PermanentFailure("the scratch instance did not finish its data check");
      }
      if (!result.ok()) {
        throw new PermanentFailure("the engine's data check failed: " + result.error());
      }
      DataCheck check = json.convertValue(result.result(), DataCheck.class);
      String report =
          (check.consistent() ? "consistent" : "INCONSISTENT")
              + "; "
              + check.count()
              + " rows or keys; "
              + check.detail();
      backups.recordDrill(
          backup.id(), check.consistent() ? Instant.now() : null, restoreSeconds, report);
      log.info(
          "event=backup_drill_done backup={} restore_seconds={} report=\"{}\"",
          backup.id(),
          restoreSeconds,
          report);
    } finally {
      deleteScratch(principal, backup);
    }
  }

  private Instance awaitActive(String instanceId, Instant deadline) throws InterruptedException {
    while (Instant.now().isBefore(deadline)) {
      Instance instance =
          instances
              .find(instanceId)
              .orElseThrow(() -> new PermanentFailure("the scratch instance disappeared"));
      String status = StatusRules.status(instance, Instant.now());
      if (status.equals("ACTIVE")) {
        return instance;
      }
      if (status.equals("ERROR")) {
        throw new PermanentFailure(
            "the backup could not be restored: "
                + (instance.faultMessage() == null ? "unknown error" : instance.faultMessage()));
      }
      Thread.sleep(250);
    }
    throw new PermanentFailure("the restore did not finish in time");
  }

  private void deleteScratch(Principal principal, Backup backup) {
    scratch(backup)
        .ifPresent(
            instance -> {
              try {
                instanceService.delete(principal, instance.id());
              } catch (RuntimeException e) {
                log.warn(
                    "event=backup_drill_cleanup_deferred instance={} reason=\"{}\"",
                    instance.id(),
                    e.getMessage());
              }
            });
  }

  @Override
  public void giveUp(Task task, String reason) {
    backups
        .find(task.payload())
        .ifPresent(
            backup -> {
              backups.recordDrill(backup.id(), null, null, "failed: " + reason);
              deleteScratch(drill(backup.projectId()), backup);
              log.warn("event=backup_drill_failed backup={} reason=\"{}\"", backup.id(), reason);
            });
  }
}

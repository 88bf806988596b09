package dev.coffer.server.instances;

import dev.coffer.server.backups.Backup;
import dev.coffer.server.backups.BackupService;
import dev.coffer.server.backups.BackupStatus;
import dev.coffer.server.events.Event;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.identity.Role;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskType;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires one instance, never losing its data: takes a backup the way the API does, waits (by
 * retrying) until it is COMPLETED, announces {@code instance.expired} with the backup's id, then
 * deletes the instance. If the backup cannot be taken or fails, the instance is kept with a fault
 * and {@code instance.expiry_failed} is announced; an admin's extension starts it over. Each step
 * is recorded in the instances table before the next, so a restart resumes where it stopped.
 */
public final class ExpireTaskHandler implements TaskHandler {
  private static final Logger log = LoggerFactory.getLogger(ExpireTaskHandler.class);

  private final ExpiryRepository expiries;
  private final InstanceRepository instances;
  private final InstanceService service;
  private final BackupService backups;
  private final EventSink events;

  public ExpireTaskHandler(
      ExpiryRepository expiries,
      InstanceRepository instances,
      InstanceService service,
      BackupService backups,
      EventSink events) {
    this.expiries = expiries;
    this.instances = instances;
    this.service = service;
    this.backups = backups;
    this.events = events;
  }

  @Override
  public TaskType type() {
    return TaskType.EXPIRE_INSTANCE;
  }

  @Override
  public void run(Task task) {
    Optional<Instance> found = instances.find(task.instanceId());
    Optional<Expiry> expiry = expiries.find(task.instanceId());
    if (found.isEmpty()
        || expiry.isEmpty()
        || !Expiry.EXPIRING.equals(expiry.get().state())
        || expiry.get().expiresAt().isAfter(Instant.now())) {
      // Deleted meanwhile, or extended by an admin: nothing left to do.
      return;
    }
    Instance instance = found.get();
    Principal system = systemPrincipal(instance);
    if (expiry.get().backupId() == null) {
      if (instance.task().isError()) {
        // Waiting would not help: an admin resets or deletes it.
        throw new PermanentFailure(
            "an instance in " + instance.task() + " cannot be backed up; reset its status first");
      }
      Backup backup;
      try {
        // The backup's row and its id in the instances table are committed together.
        backup =
            expiries.inTransaction(
                () -> {
                  Backup b =
                      backups.create(
                          system,
                          ("expiry-" + instance.name())
                              .substring(0, Math.min(255, 7 + instance.name().length())),
                          instance.id(),
                          Optional.of("Taken when the instance expired, before it was deleted."),
                          false,
                          Optional.empty(),
                          false);
                  expiries.recordBackup(instance.id(), b.id());
                  return b;
                });
      } catch (ApiException.UnprocessableEntity busy) {
        // The instance is in a task or a backup: try again after it.
        throw new IllegalStateException("waiting to back up: " + busy.getMessage(), busy);
      } catch (ApiException refused) {
        throw new PermanentFailure("the backup at expiry was refused: " + refused.getMessage());
      }
      log.info(
          "event=instance_expiry_backup instance={} project={} backup={}",
          instance.id(),
          instance.projectId(),
          backup.id());
      throw new IllegalStateException("waiting for backup " + backup.id() + " to complete");
    }
    String backupId = expiry.get().backupId();
    Backup backup;
    try {
      backup = backups.get(system, backupId);
    } catch (ApiException.NotFound gone) {
      throw new PermanentFailure("the backup " + backupId + " taken at expiry was deleted");
    }
    if (backup.status().running()) {
      throw new IllegalStateException("waiting for backup " + backupId + " to complete");
    }
    if (backup.status() != BackupStatus.COMPLETED) {
      throw new PermanentFailure(
          "the backup "
              + backupId
              + " taken at expiry ended "
              + backup.status()
              + (backup.faultMessage() == null ? "" : ": " + backup.faultMessage()));
    }
    events.publish(
        new Event(
            instance.projectId(),
            "instance",
            instance.id(),
            "instance.expired",
            "info",
            "Instance "
                + instance.id()
                + " expired; it was backed up to backup "
                + backupId
                + " and is being deleted.",
            Map.of("backup_id", backupId, "expires_at", expiry.get().expiresAt().toString()),
            Instant.now()));
    try {
      service.delete(system, instance.id());
    } catch (ApiException.Forbidden protectedInstance) {
      throw new PermanentFailure(
          "the instance was backed up to backup "
              + backupId
              + " but not deleted: "
              + protectedInstance.getMessage());
    }
    log.info(
        "event=instance_expired instance={} project={} backup={}",
        instance.id(),
        instance.projectId(),
        backupId);
  }

  @Override
  public void giveUp(Task task, String reason) {
    Optional<Instance> instance = instances.find(task.instanceId());
    if (instance.isEmpty()) {
      return;
    }
    expiries.markFailed(task.instanceId());
    String message = "Expiry stopped, the instance is kept: " + reason;
    instances.setFaultIf(task.instanceId(), TaskStatus.NONE, TaskStatus.NONE, message);
    log.warn(
        "event=instance_expiry_failed instance={} project={} reason=\"{}\"",
        task.instanceId(),
        instance.get().projectId(),
        reason);
    events.publish(
        new Event(
            instance.get().projectId(),
            "instance",
            task.instanceId(),
            "instance.expiry_failed",
            "error",
            message,
            Map.of("reason", reason),
            Instant.now()));
  }

  /** Acts for the instance's own project, with the rights the operator gave expiry. */
  private static Principal systemPrincipal(Instance instance) {
    return new Principal(
        "coffer-expiry", "coffer-expiry", instance.projectId(), "", Role.ADMIN, "");
  }
}

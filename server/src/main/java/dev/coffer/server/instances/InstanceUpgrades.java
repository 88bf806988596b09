package dev.coffer.server.instances;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.datastores.Capability;
import dev.coffer.server.backups.Backup;
import dev.coffer.server.backups.BackupService;
import dev.coffer.server.datastores.Datastore;
import dev.coffer.server.datastores.DatastoreCatalog;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.datastores.VersionState;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.replication.ReplicaMember;
import dev.coffer.server.replication.ReplicationService;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trove's datastore version upgrade ({@code PATCH /instances/{id} {"instance":
 * {"datastore_version": "10.11-patched"}}}): validates the target, takes a full backup first (a
 * real backup, listed with the user's, like RDS's pre-upgrade snapshot) and hands the rest to the
 * {@link TaskType#UPGRADE_INSTANCE} task, which runs once the backup is done.
 */
public final class InstanceUpgrades {
  private static final Logger log = LoggerFactory.getLogger(InstanceUpgrades.class);

  /** The field's path in the request, for 400 messages. */
  static final String FIELD = "instance['datastore_version']";

  private final InstanceRepository instances;
  private final InstanceService service;
  private final BackupService backups;
  private final ReplicationService replication;
  private final TaskRunner tasks;
  private final ObjectMapper json;

  public InstanceUpgrades(
      InstanceRepository instances,
      InstanceService service,
      BackupService backups,
      ReplicationService replication,
      TaskRunner tasks,
      ObjectMapper json) {
    this.instances = instances;
    this.service = service;
    this.backups = backups;
    this.replication = replication;
    this.tasks = tasks;
    this.json = json;
  }

  /**
   * The upgrade task's payload: where it goes, the backup it waits for (null for a datastore
   * without backups) and its step, saved as it advances so that a resumed task knows what is behind
   * it.
   */
  public record Plan(
      String fromVersionId, String toVersionId, String backupId, Step step, String failure) {
    Plan at(Step next, String why) {
      return new Plan(fromVersionId, toVersionId, backupId, next, why);
    }
  }

  /** BACKUP: waiting for the backup; SWITCH: on the new version; ROLLBACK: back to the old. */
  public enum Step {
    BACKUP,
    SWITCH,
    ROLLBACK
  }

  /** Accepts an upgrade: the backup row and both tasks exist when this returns. */
  public synchronized void upgrade(Principal principal, String id, String versionRef) {
    Instance instance = service.get(principal, id);
    DatastoreVersion current = service.version(instance);
    DatastoreVersion target = target(current, versionRef, principal.isAdmin());
    if (target.id().equals(current.id())) {
      throw new ApiException.BadRequest(
          "Instance "
              + id
              + " already runs datastore version '"
              + current.name()
              + "'; "
              + FIELD
              + " must name another version.");
    }
    Optional<ReplicaMember> member = replication.member(instance.id());
    if (member.isPresent() && replication.members(member.get().setId()).size() > 1) {
      throw new ApiException.BadRequest(
          "Instance "
              + id
              + " is a member of a replica set: upgrading one member would leave the set on two"
              + " versions, which replication between them does not support; detach the replicas"
              + " first, or create replicas of the upgraded instance afterwards.");
    }
    boolean backupRunning = service.backupRunning(instance);
    service.requireActionable(instance, backupRunning);
    String status = StatusRules.status(instance, Instant.now(), backupRunning);
    if (!status.equals("ACTIVE")) {
      // Unlike a restart, an upgrade needs a running engine: it is backed up first.
      throw new ApiException.UnprocessableEntity(
          "Instance "
              + id
              + " is not currently available for an action to be performed (instance status was "
              + status
              + ").");
    }
    String backupId = null;
    if (service.descriptorOf(instance).supports(Capability.BACKUP)) {
      Backup backup =
          backups.create(
              principal,
              "pre-upgrade " + current.name() + "→" + target.name(),
              instance.id(),
              Optional.of(
                  "Taken by Coffer before upgrading from "
                      + current.name()
                      + " to "
                      + target.name()
                      + "; restore it to go back to the data as it was."),
              false,
              Optional.empty(),
              false);
      backupId = backup.id();
    }
    instances.setTask(instance.id(), TaskStatus.UPGRADING);
    Task task =
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.UPGRADE_INSTANCE,
            instance.id(),
            write(new Plan(current.id(), target.id(), backupId, Step.BACKUP, null)));
    // After the backup's task in the queue (one task per instance runs at a time).
    tasks.submit(
        new Task(
            task.id(),
            task.type(),
            task.instanceId(),
            task.state(),
            task.attempts(),
            task.maxAttempts(),
            task.nextRunAt().plusSeconds(1),
            task.deadline(),
            null,
            task.payload()));
    log.info(
        "event=instance_upgrade_accepted instance={} project={} from={} to={} backup={}",
        instance.id(),
        principal.projectId(),
        current.name(),
        target.name(),
        backupId);
  }

  /** The named version of the instance's datastore, if an instance may be upgraded to it. */
  private DatastoreVersion target(DatastoreVersion current, String ref, boolean admin) {
    DatastoreCatalog catalog = service.datastores();
    Datastore ds = catalog.datastore(current.datastoreId());
    Optional<DatastoreVersion> found =
        catalog.versions(ds, admin).stream()
            .filter(v -> v.id().equals(ref) || v.name().equals(ref))
            .findFirst();
    if (found.isEmpty()) {
      Optional<String> elsewhere =
          catalog.datastores().stream()
              .filter(other -> !other.id().equals(ds.id()))
              .filter(
                  other ->
                      catalog.versions(other, admin).stream()
                          .anyMatch(v -> v.id().equals(ref) || v.name().equals(ref)))
              .map(Datastore::name)
              .findFirst();
      if (elsewhere.isPresent()) {
        throw new ApiException.BadRequest(
            "Validation error: "
                + FIELD
                + " '"
                + ref
                + "' is a version of datastore '"
                + elsewhere.get()
                + "', not of this instance's datastore '"
                + ds.name()
                + "'; an upgrade keeps the datastore.");
      }
      throw new ApiException.BadRequest(
          "Validation error: "
              + FIELD
              + " '"
              + ref
              + "' is not a version of datastore '"
              + ds.name()
              + "'; see GET /datastores/"
              + ds.name()
              + "/versions.");
    }
    DatastoreVersion version = found.get();
    if (version.state() != VersionState.ACTIVE || !version.installed()) {
      String why =
          !version.installed()
              ? "is not installed on this Coffer"
              : switch (version.state()) {
                case DEPRECATED -> "is deprecated";
                // An upgrade would keep an instance that never expires on it.
                case EVALUATION -> "is in evaluation (only new, expiring instances may use it)";
                default -> "is hidden";
              };
      throw new ApiException.BadRequest(
          "Validation error: "
              + FIELD
              + " '"
              + ref
              + "': datastore version '"
              + version.name()
              + "' of '"
              + ds.name()
              + "' "
              + why
              + "; an instance cannot be upgraded to it.");
    }
    return version;
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.coffer.server.backups;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.EnginePositions;
import dev.coffer.api.agent.RestoreRequest;
import dev.coffer.api.agent.RestoreSource;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.quotas.ProjectQuotas;
import dev.coffer.server.quotas.Resource;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that changes backups: validates, gates on the instance, starts tasks. */
public final class BackupService {
  private static final Logger log = LoggerFactory.getLogger(BackupService.class);

  private final BackupRepository backups;
  private final InstanceService instances;
  private final BackupVault vault;
  private final TaskRunner tasks;
  private final ObjectMapper json;
  private final BackupStrategyRepository strategies;

  /** Told the instance whose backups were deleted (its log archive may shrink). */
  private final Consumer<String> backupsDeleted;

  /** The source a replica follows, if the instance is one: backups are taken of the primary. */
  private final Function<String, Optional<String>> sourceOfReplica;

  private final ProjectQuotas quotas;

  public BackupService(
      BackupRepository backups,
      InstanceService instances,
      BackupVault vault,
      TaskRunner tasks,
      ObjectMapper json,
      BackupStrategyRepository strategies,
      Consumer<String> backupsDeleted,
      Function<String, Optional<String>> sourceOfReplica,
      ProjectQuotas quotas) {
    this.backups = backups;
    this.instances = instances;
    this.vault = vault;
    this.tasks = tasks;
    this.json = json;
    this.strategies = strategies;
    this.backupsDeleted = backupsDeleted;
    this.sourceOfReplica = sourceOfReplica;
    this.quotas = quotas;
  }

  /** A backup written to the container of the instance's (or project's) backup strategy, if any. */
  public Backup create(
      Principal principal,
      String name,
      String instanceId,
      Optional<String> description,
      boolean incremental,
      Optional<String> parentId,
      boolean scheduled) {
    return create(
        principal,
        name,
        instanceId,
        description,
        incremental,
        parentId,
        scheduled,
        Optional.empty());
  }

  /**
   * A backup written to {@code container} if given (Trove's {@code swift_container}), else to the
   * container of the instance's backup strategy, else of the project's, else to the store's root.
   */
  public synchronized Backup create(
      Principal principal,
      String name,
      String instanceId,
      Optional<String> description,
      boolean incremental,
      Optional<String> parentId,
      boolean scheduled,
      Optional<String> container) {
    Instance instance = instances.get(principal, instanceId);
    DatastoreDescriptor ds = instances.descriptorOf(instance);
    if (!ds.supports(Capability.BACKUP)) {
      throw ApiException.notSupported(Capability.BACKUP, ds.name());
    }
    Optional<String> source = sourceOfReplica.apply(instance.id());
    if (source.isPresent()) {
      throw new ApiException.BadRequest(
          "Instance "
              + instance.id()
              + " is a replica; back up its primary "
              + source.get()
              + " instead.");
    }
    Optional<Backup> parent =
        parentId.isPresent()
            ? Optional.of(
                backups
                    .find(principal.projectId(), parentId.get())
                    .orElseThrow(
                        () ->
                            new ApiException.NotFound(
                                "Backup " + parentId.get() + " cannot be found.")))
            : incremental ? backups.latestCompleted(instance.id()) : Optional.empty();
    if (parent.isPresent()) {
      if (!ds.supports(Capability.INCREMENTAL_BACKUP)) {
        throw ApiException.notSupported(Capability.INCREMENTAL_BACKUP, ds.name());
      }
      if (!parent.get().instanceId().equals(instance.id())
          || parent.get().status() != BackupStatus.COMPLETED) {
        throw new ApiException.BadRequest(
            "Validation error: backup['parent_id'] must be a COMPLETED backup of instance "
                + instance.id()
                + ".");
      }
    }
    instances.requireActionable(
        instance, backups.instancesWithRunningBackups().contains(instance.id()));
    Instant now = Instant.now();
    String id = UUID.randomUUID().toString();
    String prefix =
        container
            .or(() -> strategies.containerFor(principal.projectId(), instance.id()))
            .map(c -> c + "/")
            .orElse("");
    Backup backup =
        new Backup(
            id,
            principal.projectId(),
            instance.id(),
            name,
            description.orElse(null),
            instance.datastoreVersionId(),
            parent.map(Backup::id).orElse(null),
            BackupStatus.NEW,
            null,
            null,
            null,
            prefix + principal.projectId() + "/" + instance.id() + "/" + id + ".backup",
            null,
            null,
            null,
            null,
            null,
            null,
            now,
            now,
            scheduled,
            null);
    quotas.withinQuota(
        principal.projectId(),
        Map.of(Resource.BACKUPS, 1),
        () -> {
          backups.insert(backup);
          return backup;
        });
    tasks.submit(
        Task.create(UUID.randomUUID().toString(), TaskType.BACKUP_INSTANCE, instance.id(), id));
    log.info(
        "event=backup_accepted backup={} instance={} project={} parent={} object={}",
        id,
        instance.id(),
        principal.projectId(),
        backup.parentId(),
        backup.objectKey());
    return backup;
  }

  public Backup get(Principal principal, String id) {
    return backups
        .find(principal.projectId(), id)
        .orElseThrow(() -> new ApiException.NotFound("Backup " + id + " cannot be found."));
  }

  /** A backup that is not deleted, whatever its project (for the scheduler). */
  Optional<Backup> find(String id) {
    return backups.find(id);
  }

  public List<Backup> list(Principal principal, Optional<String> instanceId) {
    return backups.list(principal.projectId(), instanceId);
  }

  /** Deletes a backup and, like Trove, every backup built on it (children first). */
  public void delete(Principal principal, String id) {
    delete(get(principal, id), principal.projectId());
  }

  /**
   * Starts a restore drill: the backup is restored into a scratch instance, checked by the engine
   * and counted, timed, and the scratch instance deleted.
   */
  public Backup verify(Principal principal, String id) {
    Backup backup = get(principal, id);
    if (backup.status() != BackupStatus.COMPLETED) {
      throw new ApiException.Conflict(
          "Backup "
              + backup.id()
              + " is not completed and cannot be verified. Actual state: "
              + backup.status()
              + ".");
    }
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(), TaskType.VERIFY_BACKUP, backup.id(), backup.id()));
    log.info(
        "event=backup_drill_accepted backup={} project={}", backup.id(), principal.projectId());
    return backup;
  }

  /**
   * Trove's reset_status also fails the instance's unfinished backups: they end FAILED with {@code
   * reason} and their partial objects go (a late answer from the agent is then discarded by {@link
   * BackupTaskHandler}).
   */
  public void failRunning(String instanceId, String reason) {
    for (Backup backup : backups.ofInstance(instanceId)) {
      if (!backup.status().running()) {
        continue;
      }
      backups.setStatus(backup.id(), BackupStatus.FAILED, reason);
      deleteObjectQuietly(backup);
      log.warn("event=backup_failed backup={} reason=\"{}\"", backup.id(), reason);
    }
  }

  /** Best effort: a failed backup's object may not exist, or the store may be unreachable now. */
  void deleteObjectQuietly(Backup backup) {
    try {
      vault.delete(backup.objectKey());
    } catch (RuntimeException e) {
      log.warn("event=backup_cleanup_failed backup={} error=\"{}\"", backup.id(), e.getMessage());
    }
  }

  /** Retention: deletes the schedule's expired backups of one instance. */
  public void applyRetention(String instanceId, RetentionPolicy policy) {
    List<Backup> completed =
        backups.ofInstance(instanceId).stream()
            .filter(b -> b.scheduled() && b.status() == BackupStatus.COMPLETED)
            .toList();
    for (Backup expired : policy.expired(completed)) {
      if (backups.find(expired.id()).isPresent()) {
        delete(expired, expired.projectId());
        log.info("event=backup_expired backup={} instance={}", expired.id(), instanceId);
      }
    }
  }

  private void delete(Backup backup, String projectId) {
    List<Backup> doomed = new ArrayList<>();
    collect(backup, doomed);
    for (Backup b : doomed) {
      if (b.status().running()) {
        throw new ApiException.UnprocessableEntity(
            "Backup " + b.id() + " cannot be deleted because it is running.");
      }
    }
    Collections.reverse(doomed);
    for (Backup b : doomed) {
      try {
        vault.delete(b.objectKey());
      } catch (RuntimeException e) {
        backups.setStatus(
            b.id(),
            BackupStatus.DELETE_FAILED,
            "The stored object could not be deleted: " + e.getMessage());
        throw new ApiException.UnprocessableEntity(
            "Backup " + b.id() + " could not be deleted from the store; try again.");
      }
      backups.markDeleted(b.id());
      log.info("event=backup_deleted backup={} project={}", b.id(), projectId);
    }
    backupsDeleted.accept(backup.instanceId());
  }

  private void collect(Backup backup, List<Backup> into) {
    into.add(backup);
    backups.children(backup.id()).forEach(child -> collect(child, into));
  }

  /**
   * What a new instance needs to be filled from {@code backupRef}: the chain from the full backup
   * to it, with each data key unwrapped. 404 if unknown, 409 if not completed.
   */
  public RestoreRequest restoreRequest(Principal principal, String backupRef) {
    Backup backup = get(principal, backupRef);
    if (backup.status() != BackupStatus.COMPLETED) {
      throw new ApiException.Conflict(
          "Unable to create instance because backup "
              + backup.id()
              + " is not completed. Actual state: "
              + backup.status()
              + ".");
    }
    List<Backup> chain = new ArrayList<>();
    for (Backup b = backup;
        b != null;
        b = b.parentId() == null ? null : backups.find(b.parentId()).orElse(null)) {
      chain.add(0, b);
    }
    if (chain.get(0).parentId() != null) {
      throw new ApiException.Conflict(
          "Backup " + backup.id() + " depends on a backup that no longer exists.");
    }
    List<RestoreSource> sources = new ArrayList<>();
    for (Backup b : chain) {
      sources.add(
          new RestoreSource(
              b.objectKey(), vault.unwrap(b.wrappedKey()), b.checksum(), positions(b)));
    }
    return new RestoreRequest(vault.agentStoreConfig(), sources);
  }

  EnginePositions positions(Backup backup) {
    if (backup.manifest() == null) {
      return null;
    }
    try {
      return json.readValue(backup.manifest(), EnginePositions.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable manifest of backup " + backup.id(), e);
    }
  }
}

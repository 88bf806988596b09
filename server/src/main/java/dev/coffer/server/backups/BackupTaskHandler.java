package dev.coffer.server.backups;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.BackupRequest;
import dev.coffer.api.agent.BackupResult;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.events.Event;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one backup: the agent streams the engine's backup, sealed with a fresh data key, straight
 * into the store; this handler only records the outcome. The task's payload is the backup id.
 */
public final class BackupTaskHandler implements TaskHandler {
  private static final Logger log = LoggerFactory.getLogger(BackupTaskHandler.class);

  private final BackupRepository backups;
  private final BackupService service;
  private final BackupVault vault;
  private final AgentGateway agents;
  private final ObjectMapper json;
  private final EventSink events;

  public BackupTaskHandler(
      BackupRepository backups,
      BackupService service,
      BackupVault vault,
      AgentGateway agents,
      ObjectMapper json) {
    this(backups, service, vault, agents, json, EventSink.NONE);
  }

  /**
   * @param events receives {@code backup.completed} and {@code backup.failed}
   */
  public BackupTaskHandler(
      BackupRepository backups,
      BackupService service,
      BackupVault vault,
      AgentGateway agents,
      ObjectMapper json,
      EventSink events) {
    this.events = events;
    this.backups = backups;
    this.service = service;
    this.vault = vault;
    this.agents = agents;
    this.json = json;
  }

  @Override
  public TaskType type() {
    return TaskType.BACKUP_INSTANCE;
  }

  @Override
  public void run(Task task) throws Exception {
    Optional<Backup> found = backups.find(task.payload());
    if (found.isEmpty() || !found.get().status().running()) {
      return;
    }
    Backup backup = found.get();
    backups.setStatus(backup.id(), BackupStatus.BUILDING, null);
    // One data key per backup, created once: a resumed task must seal with the key on record.
    String dataKey;
    if (backup.wrappedKey() == null) {
      BackupVault.NewKey key = vault.newDataKey();
      backups.setWrappedKey(backup.id(), key.wrapped());
      dataKey = key.clearBase64();
    } else {
      dataKey = vault.unwrap(backup.wrappedKey());
    }
    BackupRequest request =
        new BackupRequest(
            backup.id(),
            backup.objectKey(),
            vault.agentStoreConfig(),
            dataKey,
            backup.parentId() == null
                ? null
                : service.positions(backups.find(backup.parentId()).orElseThrow()));
    String commandId = task.id() + ":backup";
    agents.send(backup.instanceId(), commandId, CommandType.BACKUP, request);
    CommandResult result;
    try {
      Duration left = Duration.between(Instant.now(), task.deadline());
      result = agents.await(commandId, left.isNegative() ? Duration.ZERO : left);
    } catch (TimeoutException e) {
      throw new PermanentFailure(
          "The backup did not finish within " + task.type().timeout().toHours() + " hours.");
    }
    if (!result.ok()) {
      throw new PermanentFailure("The backup failed: " + result.error());
    }
    if (backups.find(backup.id()).filter(b -> b.status().running()).isEmpty()) {
      // failed meanwhile (an administrator reset the instance's status): the object goes too
      service.deleteObjectQuietly(backup);
      return;
    }
    BackupResult done = json.convertValue(result.result(), BackupResult.class);
    if (!vault.exists(backup.objectKey())) {
      throw new PermanentFailure("The agent reported success but the stored object is missing.");
    }
    backups.complete(
        backup.id(),
        done.storedBytes(),
        done.plainBytes(),
        done.checksum(),
        done.locationRef() != null ? done.locationRef() : vault.locationRef(backup.objectKey()),
        json.writeValueAsString(done.engine()));
    log.info(
        "event=backup_completed backup={} instance={} stored_bytes={} plain_bytes={}",
        backup.id(),
        backup.instanceId(),
        done.storedBytes(),
        done.plainBytes());
    events.publish(
        new Event(
            backup.projectId(),
            "instance",
            backup.instanceId(),
            "backup.completed",
            "info",
            "Backup " + backup.id() + " (" + backup.name() + ") completed.",
            Map.of(
                "backup_id",
                backup.id(),
                "stored_bytes",
                done.storedBytes(),
                "plain_bytes",
                done.plainBytes()),
            Instant.now()));
  }

  @Override
  public void giveUp(Task task, String reason) {
    backups
        .find(task.payload())
        .ifPresent(
            backup -> {
              service.deleteObjectQuietly(backup);
              backups.setStatus(backup.id(), BackupStatus.FAILED, reason);
              log.warn("event=backup_failed backup={} reason=\"{}\"", backup.id(), reason);
              events.publish(
                  new Event(
                      backup.projectId(),
                      "instance",
                      backup.instanceId(),
                      "backup.failed",
                      "error",
                      "Backup " + backup.id() + " (" + backup.name() + ") failed: " + reason,
                      Map.of("backup_id", backup.id()),
                      Instant.now()));
            });
  }
}

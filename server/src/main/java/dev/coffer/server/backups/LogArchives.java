package dev.coffer.server.backups;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.EnginePositions;
import dev.coffer.api.agent.LogArchiveStatus;
import dev.coffer.api.agent.RestoreRequest;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.ServiceStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Point-in-time recovery on the control plane's side: every instance of an engine that archives its
 * change log gets an archive of its own in the backup store (a key prefix and a data key), and a
 * restore to a time is checked against what that archive holds before any instance is built.
 */
public final class LogArchives {
  private static final Logger log = LoggerFactory.getLogger(LogArchives.class);

  /** How long a restore waits for the source's agent to close and ship its current log file. */
  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);

  private final LogArchiveRepository archives;
  private final BackupRepository backups;
  private final BackupVault vault;
  private final InstanceRepository instances;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public LogArchives(
      LogArchiveRepository archives,
      BackupRepository backups,
      BackupVault vault,
      InstanceRepository instances,
      AgentGateway agents,
      ObjectMapper json) {
    this.archives = archives;
    this.backups = backups;
    this.vault = vault;
    this.instances = instances;
    this.agents = agents;
    this.json = json;
  }

  /** A new instance's archive: what its agent is told, and the wrapped key to keep. */
  public record NewArchive(dev.coffer.api.agent.LogArchive forAgent, String wrappedKey) {
    @Override
    public String toString() {
      return "NewArchive[prefix=" + forAgent.prefix() + "]";
    }
  }

  public NewArchive create() {
    BackupVault.NewKey key = vault.newDataKey();
    String prefix = "wal/" + UUID.randomUUID();
    return new NewArchive(
        new dev.coffer.api.agent.LogArchive(vault.agentStoreConfig(), prefix, key.clearBase64()),
        key.wrapped());
  }

  /** Records the archive once the instance it belongs to exists. */
  public void register(String instanceId, String projectId, NewArchive archive) {
    archives.insert(
        new LogArchive(
            instanceId,
            projectId,
            archive.forAgent().prefix(),
            archive.wrappedKey(),
            null,
            Instant.now()));
  }

  /** The agent reported how far its archive reaches. */
  public void archived(String instanceId, Instant until) {
    archives.advance(instanceId, until);
  }

  /** The latest moment an instance can be restored to, if it archives its log. */
  public Optional<Instant> latestRestorableTime(String instanceId) {
    return archives.find(instanceId).map(LogArchive::archivedUntil);
  }

  /**
   * What a restore of {@code base} to {@code restoreTime} needs from the source's archive, or a 400
   * naming {@code field} when that time cannot be reached: not a time, in the future, before the
   * backup was taken, or after the latest restorable time. A live source is first asked to archive
   * up to the present, so "a minute ago" is restorable.
   */
  public RestoreRequest.PointInTime pointInTime(Backup base, String restoreTime, String field) {
    Instant time;
    try {
      time = Instant.parse(restoreTime);
    } catch (DateTimeParseException e) {
      throw Fields.invalid(
          field,
          "must be an ISO-8601 UTC time such as 2026-11-25T17:30:00Z, not '" + restoreTime + "'");
    }
    if (time.isAfter(Instant.now())) {
      throw Fields.invalid(field, "'" + restoreTime + "' is in the future");
    }
    // Recovery never stops before the backup is consistent: an earlier time would silently give
    // the backup's own state.
    if (time.isBefore(base.createdAt())) {
      throw Fields.invalid(
          field,
          "'"
              + restoreTime
              + "' is before backup "
              + base.id()
              + " was taken ("
              + base.createdAt()
              + "); choose a later time or an earlier backup");
    }
    LogArchive archive =
        archives
            .find(base.instanceId())
            .orElseThrow(
                () ->
                    new ApiException.BadRequest(
                        "Instance "
                            + base.instanceId()
                            + " has no log archive, so its backups can only be restored as they"
                            + " are (without restore_time)."));
    Instant until = archive.archivedUntil();
    if (until == null || time.isAfter(until)) {
      until = flush(base.instanceId()).orElse(until);
    }
    if (until == null || time.isAfter(until)) {
      throw Fields.invalid(
          field,
          "'"
              + restoreTime
              + "' is after the latest restorable time of instance "
              + base.instanceId()
              + " ("
              + (until == null ? "none yet" : until.toString())
              + ")");
    }
    return new RestoreRequest.PointInTime(
        time.toString(), archive.objectPrefix(), vault.unwrap(archive.wrappedKey()));
  }

  /**
   * Before a running instance is deleted: archive its log up to now, so it can be restored to its
   * last moment. Best effort: an instance that does not answer keeps what it shipped so far.
   */
  public void beforeDelete(Instance instance) {
    if (archives.find(instance.id()).isPresent()) {
      flush(instance.id())
          .ifPresent(
              until ->
                  log.info(
                      "event=log_archive_final_flush instance={} archived_until={}",
                      instance.id(),
                      until));
    }
  }

  /**
   * Retention of the log archive follows the instance's backups: WAL segments older than the start
   * of its oldest completed full backup (MariaDB: binary log files before the one its oldest full
   * backup ends in) can no longer be replayed onto anything and are deleted; once a deleted
   * instance has no backups left, its whole archive goes. Timeline history files are tiny and kept
   * while the archive exists.
   */
  public void prune(String instanceId) {
    Optional<LogArchive> archive = archives.find(instanceId);
    if (archive.isEmpty()) {
      return;
    }
    String prefix = archive.get().objectPrefix() + "/";
    List<Backup> remaining =
        backups.ofInstance(instanceId).stream()
            .filter(b -> b.status() != BackupStatus.FAILED)
            .toList();
    boolean instanceGone = instances.find(instanceId).map(i -> i.deletedAt() != null).orElse(true);
    if (remaining.isEmpty() && instanceGone) {
      vault.list(prefix).forEach(vault::delete);
      archives.delete(instanceId);
      log.info("event=log_archive_deleted instance={}", instanceId);
      return;
    }
    Optional<String> oldestStart =
        remaining.stream()
            .filter(b -> b.parentId() == null)
            .map(this::startSegment)
            .flatMap(Optional::stream)
            .min(String::compareTo);
    Optional<Long> oldestBinlog =
        remaining.stream()
            .filter(b -> b.parentId() == null)
            .map(this::binlogNumber)
            .flatMap(Optional::stream)
            .min(Long::compare);
    if (remaining.stream().anyMatch(b -> b.status() != BackupStatus.COMPLETED)
        && oldestStart.isEmpty()
        && oldestBinlog.isEmpty()) {
      return; // a backup is being taken: its start is not known yet
    }
    int deleted = 0;
    for (String key : vault.list(prefix)) {
      String name = key.substring(prefix.length());
      String segment = name.endsWith(".sha256") ? name.substring(0, name.length() - 7) : name;
      Matcher binlog = BINLOG.matcher(segment);
      boolean obsolete =
          SEGMENT.matcher(segment).matches()
                  && oldestStart
                      .map(start -> segment.substring(8).compareTo(start) < 0)
                      .orElse(true)
              || binlog.matches()
                  && oldestBinlog
                      .map(first -> Long.parseLong(binlog.group(1)) < first)
                      .orElse(true);
      if (obsolete) {
        vault.delete(key);
        deleted++;
      }
    }
    if (deleted > 0) {
      log.info("event=log_archive_pruned instance={} objects={}", instanceId, deleted);
    }
  }

  private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}(\\.partial)?");

  /** A MariaDB binary log file, by its number. */
  private static final Pattern BINLOG = Pattern.compile("binlog\\.(\\d{6,})");

  /** The number of the MariaDB binary log file a backup ends in (where its replay starts). */
  private Optional<Long> binlogNumber(Backup backup) {
    if (backup.manifest() == null) {
      return Optional.empty();
    }
    try {
      EnginePositions positions = json.readValue(backup.manifest(), EnginePositions.class);
      String file = positions.position().get("binlog_file");
      Matcher m = file == null ? null : BINLOG.matcher(file);
      return m != null && m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    } catch (JsonProcessingException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The log-and-segment part of the WAL file where a PostgreSQL base backup starts. */
  private Optional<String> startSegment(Backup backup) {
    if (backup.manifest() == null) {
      return Optional.empty();
    }
    try {
      EnginePositions positions = json.readValue(backup.manifest(), EnginePositions.class);
      String lsn = positions.position().get("start_lsn");
      if (lsn == null) {
        return Optional.empty();
      }
      int slash = lsn.indexOf('/');
      long high = Long.parseLong(lsn.substring(0, slash), 16);
      long low = Long.parseLong(lsn.substring(slash + 1), 16);
      return Optional.of("%08X%08X".formatted(high, low >>> 24));
    } catch (JsonProcessingException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Asks a running source to archive everything up to now; empty if it cannot. */
  private Optional<Instant> flush(String instanceId) {
    Optional<Instance> source =
        instances
            .find(instanceId)
            .filter(i -> i.deletedAt() == null && i.service() == ServiceStatus.RUNNING);
    if (source.isEmpty()) {
      return Optional.empty();
    }
    try {
      LogArchiveStatus status =
          agents.call(
              source.get(),
              CommandType.FLUSH_LOG_ARCHIVE,
              null,
              json.constructType(LogArchiveStatus.class),
              FLUSH_TIMEOUT);
      if (status == null || status.archivedUntil() == null) {
        return Optional.empty();
      }
      Instant until = Instant.parse(status.archivedUntil());
      archives.advance(instanceId, until);
      return Optional.of(until);
    } catch (ApiException | DateTimeParseException e) {
      log.warn(
          "event=log_archive_flush_failed instance={} error=\"{}\"", instanceId, e.getMessage());
      return Optional.empty();
    }
  }
}

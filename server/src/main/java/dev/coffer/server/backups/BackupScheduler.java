package dev.coffer.server.backups;

import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.identity.Role;
import dev.coffer.server.instances.InstanceRepository;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires backup schedules and applies their retention. A schedule whose time comes while its
 * instance cannot take a backup (a task or backup running, engine down) skips that run and logs
 * why; it never queues runs up. A schedule with {@code verify} has each backup it takes verified by
 * a restore drill (the same one as {@code POST /backups/{id}/verify}) once the backup completes.
 */
public final class BackupScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BackupScheduler.class);
  private static final DateTimeFormatter NAME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final ScheduleRepository schedules;
  private final BackupService backups;
  private final InstanceRepository instances;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "backup-scheduler"));

  public BackupScheduler(
      ScheduleRepository schedules, BackupService backups, InstanceRepository instances) {
    this.schedules = schedules;
    this.backups = backups;
    this.instances = instances;
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(
        this::tickQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void tickQuietly() {
    try {
      tick(Instant.now());
    } catch (RuntimeException e) {
      log.warn("event=backup_schedule_error error=\"{}\"", e.toString());
    }
  }

  synchronized void tick(Instant now) {
    for (BackupSchedule schedule : schedules.all()) {
      if (instances.find(schedule.instanceId()).isEmpty()) {
        schedules.delete(schedule.instanceId());
        continue;
      }
      backups.applyRetention(schedule.instanceId(), schedule.retention());
      if (schedule.nextRunAt().isAfter(now)) {
        continue;
      }
      Optional<Instant> next = Cron.next(schedule.cron(), now);
      schedules.setNextRun(schedule.instanceId(), next.orElse(now.plus(Duration.ofDays(36500))));
      Principal scheduler = scheduler(schedule.projectId());
      try {
        Backup backup =
            backups.create(
                scheduler,
                "scheduled-" + NAME.format(now),
                schedule.instanceId(),
                Optional.of("taken by the instance's backup schedule"),
                schedule.incremental(),
                Optional.empty(),
                true);
        if (schedule.verify()) {
          schedules.requestDrill(backup.id(), schedule.instanceId());
        }
        log.info(
            "event=scheduled_backup backup={} instance={} verify={}",
            backup.id(),
            schedule.instanceId(),
            schedule.verify());
      } catch (ApiException e) {
        log.warn(
            "event=scheduled_backup_skipped instance={} reason=\"{}\"",
            schedule.instanceId(),
            e.getMessage());
      }
    }
    startDrills();
  }

  /**
   * Starts the restore drill of every scheduled backup that asked for one and has completed;
   * forgets the request of a backup that failed or is gone. The request is forgotten only after the
   * drill is submitted, so a crash in between repeats a drill rather than losing it.
   */
  private void startDrills() {
    for (String backupId : schedules.pendingDrills()) {
      Optional<Backup> backup = backups.find(backupId);
      if (backup.isPresent() && backup.get().status().running()) {
        continue;
      }
      if (backup.isPresent() && backup.get().status() == BackupStatus.COMPLETED) {
        try {
          backups.verify(scheduler(backup.get().projectId()), backupId);
          log.info(
              "event=scheduled_drill_started backup={} instance={}",
              backupId,
              backup.get().instanceId());
        } catch (ApiException e) {
          log.warn(
              "event=scheduled_drill_skipped backup={} reason=\"{}\"", backupId, e.getMessage());
        }
      } else {
        log.info(
            "event=scheduled_drill_dropped backup={} reason=\"{}\"",
            backupId,
            backup.map(b -> "backup " + b.status()).orElse("backup deleted"));
      }
      schedules.forgetDrill(backupId);
    }
  }

  private static Principal scheduler(String projectId) {
    return new Principal("scheduler", "scheduler", projectId, "", Role.MEMBER, "schedule");
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

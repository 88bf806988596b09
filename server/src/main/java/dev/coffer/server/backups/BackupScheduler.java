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
 * why; it never queues runs up.
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
      Principal scheduler =
          new Principal(
              "scheduler", "scheduler", schedule.projectId(), "", Role.MEMBER, "schedule");
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
        log.info(
            "event=scheduled_backup backup={} instance={}", backup.id(), schedule.instanceId());
      } catch (ApiException e) {
        log.warn(
            "event=scheduled_backup_skipped instance={} reason=\"{}\"",
            schedule.instanceId(),
            e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

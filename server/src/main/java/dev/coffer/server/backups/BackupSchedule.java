package dev.coffer.server.backups;

import java.time.Instant;

/**
 * An instance's backup schedule: a cron expression (5 fields, Unix; or 6–7 fields with seconds,
 * Quartz style), whether to take incrementals on top of the newest backup, whether to verify each
 * backup it takes with a restore drill once the backup completes, the retention of the backups it
 * takes, and when it fires next.
 */
public record BackupSchedule(
    String instanceId,
    String projectId,
    String cron,
    boolean incremental,
    boolean verify,
    RetentionPolicy retention,
    Instant nextRunAt) {}

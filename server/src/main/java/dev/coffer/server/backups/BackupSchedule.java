package dev.coffer.server.backups;

import java.time.Instant;

/**
 * An instance's backup schedule: a cron expression (5 fields, Unix; or 6–7 fields with seconds,
 * Quartz style), whether to take incrementals on top of the newest backup, the retention of the
 * backups it takes, and when it fires next.
 */
public record BackupSchedule(
    String instanceId,
    String projectId,
    String cron,
    boolean incremental,
    RetentionPolicy retention,
    Instant nextRunAt) {}

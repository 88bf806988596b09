package dev.coffer.server.instances;

import java.time.Instant;

/**
 * When an instance expires and how far its expiry has gone.
 *
 * @param warnedAt when its project was warned ({@code instance.expiring}); null before
 * @param backupId the backup taken at expiry, recorded before the instance is deleted
 * @param state null while waiting, {@code EXPIRING} once its expiry task runs, {@code FAILED} when
 *     the backup failed and the instance was kept
 */
public record Expiry(
    String instanceId,
    String projectId,
    Instant expiresAt,
    Instant warnedAt,
    String backupId,
    String state) {
  public static final String EXPIRING = "EXPIRING";
  public static final String FAILED = "FAILED";
}

package dev.coffer.server.backups;

import java.time.Instant;

/**
 * An instance's archive of its change log in the backup store.
 *
 * @param objectPrefix where its files live in the store
 * @param wrappedKey the archive's data key, encrypted with the master key
 * @param archivedUntil every change before this instant is archived (the latest restorable time);
 *     null until the agent first reports it
 */
public record LogArchive(
    String instanceId,
    String projectId,
    String objectPrefix,
    String wrappedKey,
    Instant archivedUntil,
    Instant createdAt) {}

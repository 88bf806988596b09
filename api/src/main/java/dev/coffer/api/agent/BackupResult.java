package dev.coffer.api.agent;

/**
 * Result of {@link CommandType#BACKUP}: the stored object is complete and visible.
 *
 * @param checksum SHA-256 (hex) of the stored, sealed bytes
 * @param storedBytes size of the stored object
 * @param plainBytes size of the engine's stream before compression and encryption
 */
public record BackupResult(
    String checksum,
    long storedBytes,
    long plainBytes,
    EnginePositions engine,
    String locationRef) {}

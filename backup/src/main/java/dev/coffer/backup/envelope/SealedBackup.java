package dev.coffer.backup.envelope;

/**
 * A backup as stored: what the control plane records (Trove's {@code locationRef}, {@code
 * checksum}, {@code size}).
 *
 * @param checksum SHA-256 (lowercase hex) of the stored bytes
 * @param storedBytes size of the stored object
 * @param plainBytes size of the data before compression and encryption
 */
public record SealedBackup(
    String locationRef, String checksum, long storedBytes, long plainBytes) {}

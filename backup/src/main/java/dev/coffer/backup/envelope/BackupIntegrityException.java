package dev.coffer.backup.envelope;

import java.io.IOException;

/**
 * A stored backup is not exactly what was written: a frame failed authentication (altered bytes or
 * the wrong data key), the stream is truncated or reordered, or its SHA-256 differs from the
 * recorded checksum. A restore that sees this must be abandoned.
 */
public final class BackupIntegrityException extends IOException {
  private static final long serialVersionUID = 1L;

  public BackupIntegrityException(String message) {
    super(message);
  }

  public BackupIntegrityException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.coffer.backup.keys;

/**
 * A key cannot be used: a master key file is unreadable or malformed, or a wrapped data key belongs
 * to another master key or was altered. Messages never contain key material.
 */
public final class BackupKeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BackupKeyException(String message) {
    super(message);
  }

  public BackupKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}

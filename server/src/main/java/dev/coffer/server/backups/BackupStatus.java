package dev.coffer.server.backups;

/** Trove's backup states. NEW and BUILDING are running; COMPLETED is the only restorable one. */
public enum BackupStatus {
  NEW,
  BUILDING,
  COMPLETED,
  FAILED,
  DELETE_FAILED;

  public boolean running() {
    return this == NEW || this == BUILDING;
  }
}

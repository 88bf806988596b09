package dev.coffer.api.agent;

/** One backup of a chain to restore, oldest (the full backup) first. */
public record RestoreSource(
    String objectKey, String dataKey, String checksum, EnginePositions engine) {
  @Override
  public String toString() {
    return "RestoreSource[objectKey=" + objectKey + "]";
  }
}

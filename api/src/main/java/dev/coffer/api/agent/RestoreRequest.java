package dev.coffer.api.agent;

import java.util.List;
import java.util.Map;

/**
 * Part of {@link PrepareRequest}: fill the new instance from a chain of backups and, when {@code
 * pointInTime} is set, replay the source's archived change log up to that moment.
 */
public record RestoreRequest(
    Map<String, String> store, List<RestoreSource> chain, PointInTime pointInTime) {
  public RestoreRequest(Map<String, String> store, List<RestoreSource> chain) {
    this(store, chain, null);
  }

  public RestoreRequest {
    chain = List.copyOf(chain);
  }

  /**
   * Recover to {@code targetTime} (ISO-8601 instant) from the source instance's log archive, which
   * lives in the same store as the backups.
   *
   * @param archivePrefix the source's log archive (object key prefix)
   * @param dataKey the archive's data key, base64; in clear only inside this command
   */
  public record PointInTime(String targetTime, String archivePrefix, String dataKey) {
    @Override
    public String toString() {
      return "PointInTime[targetTime=%s, archive=%s]".formatted(targetTime, archivePrefix);
    }
  }

  @Override
  public String toString() {
    return "RestoreRequest[backups=" + chain.size() + ", pointInTime=" + pointInTime + "]";
  }
}

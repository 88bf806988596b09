package dev.coffer.server.capacity;

import java.time.Duration;
import java.util.Map;

/**
 * How volume usage is sampled for forecasts (see docs/operations.md).
 *
 * @param sampleInterval at most one sample per instance this often ({@code
 *     COFFER_CAPACITY_SAMPLE_SECONDS}, default one hour)
 * @param retention samples older than this are deleted, and forecasts look this far back ({@code
 *     COFFER_CAPACITY_RETENTION_DAYS}, default 30 days)
 */
public record CapacitySettings(Duration sampleInterval, Duration retention) {
  public static CapacitySettings fromEnvironment(Map<String, String> env) {
    return new CapacitySettings(
        Duration.ofSeconds(whole(env, "COFFER_CAPACITY_SAMPLE_SECONDS", 3600, 1, 86_400)),
        Duration.ofDays(whole(env, "COFFER_CAPACITY_RETENTION_DAYS", 30, 1, 3650)));
  }

  private static long whole(
      Map<String, String> env, String variable, long otherwise, long min, long max) {
    String value = env.getOrDefault(variable, Long.toString(otherwise)).strip();
    if (!value.matches("\\d{1,9}") || Long.parseLong(value) < min || Long.parseLong(value) > max) {
      throw new IllegalArgumentException(
          variable
              + " must be a whole number from "
              + min
              + " to "
              + max
              + ", not '"
              + value
              + "'");
    }
    return Long.parseLong(value);
  }
}

package dev.coffer.server.instances;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Operator settings for instances of {@code evaluation} datastore versions: how long they live
 * ({@code COFFER_EVALUATION_TTL_HOURS}, or {@code COFFER_EVALUATION_TTL} as an ISO-8601 duration
 * such as {@code PT20S}) and how long before their expiry their project is warned ({@code
 * COFFER_EVALUATION_WARNING_HOURS} or {@code COFFER_EVALUATION_WARNING}).
 */
public record EvaluationPolicy(Duration ttl, Duration warning) {
  public static final int DEFAULT_TTL_HOURS = 72;
  public static final int DEFAULT_WARNING_HOURS = 24;

  public static EvaluationPolicy defaults() {
    return new EvaluationPolicy(
        Duration.ofHours(DEFAULT_TTL_HOURS), Duration.ofHours(DEFAULT_WARNING_HOURS));
  }

  public static EvaluationPolicy fromEnvironment(Map<String, String> env) {
    return new EvaluationPolicy(
        duration(env, "COFFER_EVALUATION_TTL", DEFAULT_TTL_HOURS),
        duration(env, "COFFER_EVALUATION_WARNING", DEFAULT_WARNING_HOURS));
  }

  private static Duration duration(Map<String, String> env, String variable, int defaultHours) {
    String hours = env.get(variable + "_HOURS");
    String iso = env.get(variable);
    if (hours != null && iso != null) {
      throw new IllegalArgumentException(
          "set " + variable + "_HOURS or " + variable + ", not both");
    }
    if (hours != null) {
      if (!hours.strip().matches("\\d{1,6}") || Integer.parseInt(hours.strip()) == 0) {
        throw new IllegalArgumentException(
            variable + "_HOURS must be a whole number of hours above 0, not '" + hours + "'");
      }
      return Duration.ofHours(Integer.parseInt(hours.strip()));
    }
    if (iso != null) {
      try {
        Duration d = Duration.parse(iso.strip());
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException(variable + " must be positive, not '" + iso + "'");
        }
        return d;
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            variable + " must be an ISO-8601 duration such as PT72H, not '" + iso + "'", e);
      }
    }
    return Duration.ofHours(defaultHours);
  }
}

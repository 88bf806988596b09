package dev.coffer.server.alerts;

import java.time.Duration;
import java.util.Map;

/**
 * The operator's thresholds for the built-in alerts (see docs/operations.md); 0 turns a rule off.
 *
 * @param volumePercent volume used above this share ({@code COFFER_ALERT_VOLUME_PERCENT}, 90; may
 *     have decimals)
 * @param replicationLagSeconds a replica further behind ({@code
 *     COFFER_ALERT_REPLICATION_LAG_SECONDS}, 300)
 * @param backupAgeHours newest completed backup older than this, or none for an instance older than
 *     this ({@code COFFER_ALERT_BACKUP_AGE_HOURS}, 0: off, since backups are the projects' choice)
 * @param notActiveMinutes an instance whose status has not been ACTIVE for this long ({@code
 *     COFFER_ALERT_NOT_ACTIVE_MINUTES}, 10)
 * @param interval how often the rules are evaluated ({@code COFFER_ALERT_INTERVAL_SECONDS}, 30)
 */
public record AlertThresholds(
    double volumePercent,
    long replicationLagSeconds,
    long backupAgeHours,
    long notActiveMinutes,
    Duration interval) {

  public static AlertThresholds fromEnvironment(Map<String, String> env) {
    String percentVariable = "COFFER_ALERT_VOLUME_PERCENT";
    String percent = env.getOrDefault(percentVariable, "90").strip();
    if (!percent.matches("\\d{1,3}(\\.\\d{1,6})?") || Double.parseDouble(percent) > 100) {
      throw new IllegalArgumentException(
          percentVariable + " must be a number from 0 to 100, not '" + percent + "'");
    }
    return new AlertThresholds(
        Double.parseDouble(percent),
        whole(env, "COFFER_ALERT_REPLICATION_LAG_SECONDS", 300, 0),
        whole(env, "COFFER_ALERT_BACKUP_AGE_HOURS", 0, 0),
        whole(env, "COFFER_ALERT_NOT_ACTIVE_MINUTES", 10, 0),
        Duration.ofSeconds(whole(env, "COFFER_ALERT_INTERVAL_SECONDS", 30, 1)));
  }

  private static long whole(Map<String, String> env, String variable, long otherwise, long min) {
    String value = env.getOrDefault(variable, Long.toString(otherwise)).strip();
    if (!value.matches("\\d{1,9}") || Long.parseLong(value) < min) {
      throw new IllegalArgumentException(
          variable + " must be a whole number of at least " + min + ", not '" + value + "'");
    }
    return Long.parseLong(value);
  }
}

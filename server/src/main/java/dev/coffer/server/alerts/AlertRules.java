package dev.coffer.server.alerts;

import dev.coffer.server.metrics.Fleet;
import dev.coffer.server.metrics.InstanceLoads;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The built-in rules, as a pure function of the fleet, the agents' latest reports and since when
 * each instance has not been ACTIVE. docs/prometheus-alerts.yml states the same rules in PromQL.
 */
final class AlertRules {
  static final String VOLUME_FULL = "volume_full";
  static final String REPLICATION_LAG = "replication_lag";
  static final String BACKUP_STALE = "backup_stale";
  static final String NOT_ACTIVE = "not_active";

  private final AlertThresholds thresholds;

  AlertRules(AlertThresholds thresholds) {
    this.thresholds = thresholds;
  }

  /**
   * @param notActiveSince per instance id, since when its status has not been ACTIVE
   */
  List<Alert> firing(Fleet fleet, InstanceLoads loads, Map<String, Instant> notActiveSince) {
    Instant now = fleet.at();
    List<Alert> out = new ArrayList<>();
    for (Fleet.Member m : fleet.members()) {
      String id = m.id();
      String project = m.instance().projectId();
      Optional<Long> used = m.volumeUsedBytes();
      if (thresholds.volumePercent() > 0 && used.isPresent() && m.volumeSizeBytes() > 0) {
        double percent = used.get() * 100.0 / m.volumeSizeBytes();
        if (percent >= thresholds.volumePercent()) {
          out.add(
              new Alert(
                  id,
                  VOLUME_FULL,
                  project,
                  String.format(
                      Locale.ROOT,
                      "Volume %.2f %% used (threshold %s %%).",
                      percent,
                      plain(thresholds.volumePercent())),
                  now));
        }
      }
      Double lag = loads.of(id).map(InstanceLoads.Load::replicationLagSeconds).orElse(null);
      if (thresholds.replicationLagSeconds() > 0
          && lag != null
          && lag >= thresholds.replicationLagSeconds()) {
        out.add(
            new Alert(
                id,
                REPLICATION_LAG,
                project,
                String.format(
                    Locale.ROOT,
                    "Replica %.0f s behind its source (threshold %d s).",
                    lag,
                    thresholds.replicationLagSeconds()),
                now));
      }
      if (thresholds.backupAgeHours() > 0) {
        Instant last = fleet.lastGoodBackup().get(id);
        Instant since = last != null ? last : m.instance().createdAt();
        Duration age = Duration.between(since, now);
        if (age.toHours() >= thresholds.backupAgeHours()) {
          out.add(
              new Alert(
                  id,
                  BACKUP_STALE,
                  project,
                  (last == null ? "No completed backup" : "Newest completed backup is")
                      + " "
                      + (last == null ? "in " : "")
                      + age.toHours()
                      + " h"
                      + (last == null ? "" : " old")
                      + " (threshold "
                      + thresholds.backupAgeHours()
                      + " h).",
                  now));
        }
      }
      Instant notActive = notActiveSince.get(id);
      if (thresholds.notActiveMinutes() > 0
          && notActive != null
          && Duration.between(notActive, now).toMinutes() >= thresholds.notActiveMinutes()) {
        out.add(
            new Alert(
                id,
                NOT_ACTIVE,
                project,
                "Status "
                    + m.status()
                    + " for "
                    + Duration.between(notActive, now).toMinutes()
                    + " min (threshold "
                    + thresholds.notActiveMinutes()
                    + " min).",
                now));
      }
    }
    return out;
  }

  private static String plain(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}

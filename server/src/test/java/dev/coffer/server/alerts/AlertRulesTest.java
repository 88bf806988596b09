package dev.coffer.server.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.api.agent.EngineStatus;
import dev.coffer.api.agent.Heartbeat;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.ServiceStatus;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.metrics.Fleet;
import dev.coffer.server.metrics.InstanceLoads;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each built-in rule fires at its threshold and not below it, and a threshold of 0 turns it off.
 * (The volume rule is also exercised end to end against a real instance in CapacityAndAlertsTest.)
 */
class AlertRulesTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  static Instance instance(String id, long usedBytes, Instant createdAt) {
    return new Instance(
        id,
        "p1",
        id,
        "v1",
        "1",
        1,
        usedBytes,
        "127.0.0.1",
        6379,
        false,
        List.of(),
        TaskStatus.NONE,
        ServiceStatus.RUNNING,
        NOW,
        NOW,
        null,
        null,
        null,
        createdAt,
        NOW,
        null);
  }

  static AlertThresholds thresholds(double volume, long lag, long backupHours, long minutes) {
    return new AlertThresholds(volume, lag, backupHours, minutes, Duration.ofSeconds(1));
  }

  static List<String> kinds(List<Alert> alerts, String instanceId) {
    return alerts.stream().filter(a -> a.instanceId().equals(instanceId)).map(Alert::kind).toList();
  }

  @Test
  void eachRuleFiresAtItsThresholdAndNotBelow() {
    long gib = 1L << 30;
    Fleet fleet =
        new Fleet(
            NOW,
            List.of(
                new Fleet.Member(
                    instance("full", (long) Math.ceil(gib * 0.9), NOW), "ACTIVE", "redis"),
                new Fleet.Member(instance("roomy", gib / 2, NOW), "ACTIVE", "redis"),
                new Fleet.Member(
                    instance("neverBackedUp", 0, NOW.minus(Duration.ofHours(30))),
                    "ACTIVE",
                    "mariadb"),
                new Fleet.Member(
                    instance("backedUp", 0, NOW.minus(Duration.ofDays(9))), "ACTIVE", "mariadb"),
                new Fleet.Member(instance("lagging", 0, NOW), "ACTIVE", "postgresql"),
                new Fleet.Member(instance("down", 0, NOW), "SHUTDOWN", "postgresql"),
                new Fleet.Member(instance("justDown", 0, NOW), "REBOOT", "postgresql")),
            Map.of("backedUp", NOW.minus(Duration.ofHours(2))),
            List.of());
    InstanceLoads loads = new InstanceLoads();
    loads.record(
        "lagging",
        new Heartbeat(EngineStatus.RUNNING, 0, null)
            .withReplication(
                new ReplicationStatus(ReplicationStatus.REPLICA, "h", true, 301.0, "0", 0)));
    loads.record(
        "roomy",
        new Heartbeat(EngineStatus.RUNNING, 0, null)
            .withReplication(
                new ReplicationStatus(ReplicationStatus.REPLICA, "h", true, 299.0, "0", 0)));
    Map<String, Instant> notActiveSince =
        Map.of("down", NOW.minus(Duration.ofMinutes(10)), "justDown", NOW.minusSeconds(30));

    List<Alert> firing =
        new AlertRules(thresholds(90, 300, 24, 10)).firing(fleet, loads, notActiveSince);

    assertThat(kinds(firing, "full")).containsExactly("volume_full");
    assertThat(kinds(firing, "roomy")).isEmpty();
    assertThat(kinds(firing, "neverBackedUp")).containsExactly("backup_stale");
    assertThat(kinds(firing, "backedUp")).isEmpty();
    assertThat(kinds(firing, "lagging")).containsExactly("replication_lag");
    assertThat(kinds(firing, "down")).contains("not_active");
    assertThat(kinds(firing, "justDown")).doesNotContain("not_active");
    assertThat(firing.stream().filter(a -> a.instanceId().equals("full")).findFirst().orElseThrow())
        .satisfies(
            a -> {
              assertThat(a.projectId()).isEqualTo("p1");
              assertThat(a.message()).isEqualTo("Volume 90.00 % used (threshold 90 %).");
            });

    assertThat(new AlertRules(thresholds(0, 0, 0, 0)).firing(fleet, loads, notActiveSince))
        .as("0 turns every rule off")
        .isEmpty();
  }
}

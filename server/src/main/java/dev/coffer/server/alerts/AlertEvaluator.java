package dev.coffer.server.alerts;

import dev.coffer.server.events.Event;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.metrics.Fleet;
import dev.coffer.server.metrics.FleetQueries;
import dev.coffer.server.metrics.InstanceLoads;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the built-in alert rules every {@link AlertThresholds#interval()} and announces changes
 * only: {@code alert.<kind>} once when an alert starts, {@code alert.resolved} once when it clears
 * (or its instance is gone). Firing alerts are kept in {@code active_alerts}, so a restart of the
 * control plane neither repeats nor forgets them.
 */
public final class AlertEvaluator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertEvaluator.class);

  private final FleetQueries fleet;
  private final InstanceLoads loads;
  private final ActiveAlerts active;
  private final EventSink events;
  private final AlertRules rules;
  private final AlertThresholds thresholds;

  /** Since when each instance has not been ACTIVE, as this server has seen it. */
  private final Map<String, Instant> notActiveSince = new ConcurrentHashMap<>();

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "alert-evaluator");
            t.setDaemon(true);
            return t;
          });

  public AlertEvaluator(
      FleetQueries fleet,
      InstanceLoads loads,
      ActiveAlerts active,
      EventSink events,
      AlertThresholds thresholds) {
    this.fleet = fleet;
    this.loads = loads;
    this.active = active;
    this.events = events;
    this.thresholds = thresholds;
    this.rules = new AlertRules(thresholds);
  }

  public void start() {
    long millis = thresholds.interval().toMillis();
    timer.scheduleWithFixedDelay(this::evaluateQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  private void evaluateQuietly() {
    try {
      evaluate();
    } catch (RuntimeException e) {
      log.warn("event=alert_evaluation_failed error=\"{}\"", e.toString());
    }
  }

  /** One round: the rules against the fleet now, and the events for what changed. */
  synchronized void evaluate() {
    Fleet now = fleet.read();
    loads.retain(
        now.members().stream()
            .map(Fleet.Member::id)
            .collect(java.util.stream.Collectors.toUnmodifiableSet()));
    Map<String, Instant> seen = new HashMap<>();
    for (Fleet.Member m : now.members()) {
      if (!"ACTIVE".equals(m.status())) {
        seen.put(m.id(), notActiveSince.getOrDefault(m.id(), now.at()));
      }
    }
    notActiveSince.keySet().retainAll(seen.keySet());
    notActiveSince.putAll(seen);

    Map<Alert.Key, Alert> firing = new LinkedHashMap<>();
    rules.firing(now, loads, notActiveSince).forEach(a -> firing.put(a.key(), a));
    Map<Alert.Key, Alert> known = new LinkedHashMap<>();
    active.all().forEach(a -> known.put(a.key(), a));

    for (Alert alert : firing.values()) {
      if (!known.containsKey(alert.key())) {
        active.insert(alert);
        log.info(
            "event=alert_started instance={} kind={} message=\"{}\"",
            alert.instanceId(),
            alert.kind(),
            alert.message());
        publish(alert, "alert." + alert.kind(), "warning", alert.message(), now.at());
      }
    }
    for (Alert alert : known.values()) {
      if (!firing.containsKey(alert.key())) {
        active.delete(alert.key());
        log.info("event=alert_resolved instance={} kind={}", alert.instanceId(), alert.kind());
        publish(
            alert,
            "alert.resolved",
            "info",
            "Resolved: " + alert.kind() + " (since " + alert.startedAt() + ").",
            now.at());
      }
    }
  }

  private void publish(Alert alert, String type, String severity, String message, Instant at) {
    try {
      events.publish(
          new Event(
              alert.projectId(),
              "instance",
              alert.instanceId(),
              type,
              severity,
              message,
              Map.of("instance_id", alert.instanceId(), "kind", alert.kind()),
              at));
    } catch (RuntimeException e) {
      log.warn("event=alert_not_published type={} error=\"{}\"", type, e.toString());
    }
  }

  /** The alerts firing now: all of them, or one project's. */
  public List<Alert> active(java.util.Optional<String> projectId) {
    return active.all().stream()
        .filter(a -> projectId.isEmpty() || projectId.get().equals(a.projectId()))
        .toList();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

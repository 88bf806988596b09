package dev.coffer.server.metrics;

import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.Heartbeat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest load each agent reported (connections, operations, replication lag), kept in memory:
 * heartbeats come every second, so a scrape or an alert check reads them here instead of asking the
 * state store about every instance. Lost on restart; the next heartbeats bring them back.
 */
public final class InstanceLoads {
  /** One instance's latest report; a field is null when the engine did not report it. */
  public record Load(Long connections, Long operationsTotal, Double replicationLagSeconds) {}

  private final Map<String, Load> latest = new ConcurrentHashMap<>();

  public void record(String instanceId, Heartbeat heartbeat) {
    EngineMetrics metrics = heartbeat.metrics();
    Double lag = heartbeat.replication() == null ? null : heartbeat.replication().lagSeconds();
    if (metrics == null && lag == null) {
      latest.remove(instanceId);
      return;
    }
    latest.put(
        instanceId,
        new Load(
            metrics == null ? null : metrics.connections(),
            metrics == null ? null : metrics.operationsTotal(),
            lag));
  }

  public Optional<Load> of(String instanceId) {
    return Optional.ofNullable(latest.get(instanceId));
  }

  /** Forgets instances that no longer exist. */
  public void retain(java.util.Set<String> liveIds) {
    latest.keySet().retainAll(liveIds);
  }
}

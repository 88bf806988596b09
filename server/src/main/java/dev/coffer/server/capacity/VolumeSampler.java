package dev.coffer.server.capacity;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns heartbeats (one a second per instance) into volume samples: at most one per instance per
 * {@link CapacitySettings#sampleInterval()}, decided in memory so that the heartbeats in between
 * cost nothing. Prunes samples past the retention period at start and hourly.
 */
public final class VolumeSampler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VolumeSampler.class);

  private final VolumeSamples samples;
  private final CapacitySettings settings;
  private final Map<String, Instant> lastSampled = new ConcurrentHashMap<>();
  private final ScheduledExecutorService pruner =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "volume-sample-pruner");
            t.setDaemon(true);
            return t;
          });

  public VolumeSampler(VolumeSamples samples, CapacitySettings settings) {
    this.samples = samples;
    this.settings = settings;
  }

  public void start() {
    pruner.scheduleWithFixedDelay(this::prune, 0, 1, TimeUnit.HOURS);
  }

  /** Called with every heartbeat's volume usage. */
  public void observed(String instanceId, long usedBytes, Instant at) {
    // Check and claim the slot in one step: two heartbeats at once take one sample.
    boolean[] due = {false};
    lastSampled.compute(
        instanceId,
        (id, last) -> {
          Instant previous = last != null ? last : samples.latest(id).orElse(Instant.EPOCH);
          if (previous.plus(settings.sampleInterval()).isAfter(at)) {
            return previous;
          }
          due[0] = true;
          return at;
        });
    if (due[0]) {
      samples.insert(new VolumeSample(instanceId, at, usedBytes));
    }
  }

  /** The first sample of a new instance is taken at once; a deleted one is forgotten. */
  public void forget(String instanceId) {
    lastSampled.remove(instanceId);
  }

  private void prune() {
    try {
      int n = samples.deleteBefore(Instant.now().minus(settings.retention()));
      if (n > 0) {
        log.info("event=volume_samples_pruned count={}", n);
      }
    } catch (RuntimeException e) {
      log.warn("event=volume_samples_prune_failed error=\"{}\"", e.toString());
    }
  }

  @Override
  public void close() {
    pruner.shutdownNow();
  }
}

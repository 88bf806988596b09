package dev.coffer.server.replication;

import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Automatic failover (Trove has none): every second, each set with {@code auto_failover} whose
 * primary has stopped answering for the set's failover time, while a replica still answers, gets
 * the same failover as an eject. Each decision is logged in one sentence.
 */
public final class FailoverMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FailoverMonitor.class);

  private final ReplicationRepository sets;
  private final ReplicationService replication;
  private final InstanceRepository instances;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "failover-monitor"));

  public FailoverMonitor(
      ReplicationRepository sets, ReplicationService replication, InstanceRepository instances) {
    this.sets = sets;
    this.replication = replication;
    this.instances = instances;
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(
        this::checkQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void checkQuietly() {
    try {
      check(Instant.now());
    } catch (RuntimeException e) {
      log.warn("event=failover_check_failed reason=\"{}\"", e.getMessage(), e);
    }
  }

  void check(Instant now) {
    for (ReplicaSet set : sets.sets()) {
      if (!set.autoFailover()) {
        continue;
      }
      Optional<Instance> primary = instances.find(set.primaryId());
      if (primary.isEmpty() || primary.get().task() != TaskStatus.NONE) {
        continue;
      }
      if (ReplicationService.isAnswering(primary.get(), set, now)) {
        continue;
      }
      boolean replicaAnswers =
          sets.members(set.id()).stream()
              .filter(m -> !m.instanceId().equals(set.primaryId()))
              .filter(m -> m.reportedAt() != null)
              .anyMatch(
                  m ->
                      Duration.between(m.reportedAt(), now).toSeconds()
                          <= set.failoverAfterSeconds());
      if (!replicaAnswers) {
        log.warn(
            "event=failover_impossible set={} primary={} reason=\"no replica has answered within {} s\"",
            set.id(),
            set.primaryId(),
            set.failoverAfterSeconds());
        continue;
      }
      log.warn(
          "event=failover_decided set={} primary={} reason=\"primary silent or down for more than {} s\"",
          set.id(),
          set.primaryId(),
          set.failoverAfterSeconds());
      replication.startFailover(set, "auto_failover");
    }
  }

  /**
   * Whether the reconciler must leave the instance's dead agent alone: the primary of an
   * auto-failover set (restarting it could make two primaries) or a former primary waiting to
   * rejoin (its rejoin task restarts it, fenced).
   */
  public boolean holdsRestart(String instanceId) {
    return sets.findMember(instanceId)
        .map(
            m ->
                m.needsRejoin()
                    || (m.replicaOf() == null
                        && sets.findSet(m.setId())
                            .map(s -> s.autoFailover() && s.primaryId().equals(instanceId))
                            .orElse(false)))
        .orElse(false);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

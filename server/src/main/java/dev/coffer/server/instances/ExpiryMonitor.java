package dev.coffer.server.instances;

import dev.coffer.server.events.Event;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches expiring instances: warns each project ahead of time ({@code instance.expiring}), and at
 * expiry starts a durable {@link TaskType#EXPIRE_INSTANCE} task (backup, then delete: see {@link
 * ExpireTaskHandler}). All it knows lives in the instances table, so a restart loses nothing.
 */
public final class ExpiryMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExpiryMonitor.class);

  private final ExpiryRepository expiries;
  private final EvaluationPolicy policy;
  private final TaskRunner tasks;
  private final EventSink events;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "expiry-monitor"));

  public ExpiryMonitor(
      ExpiryRepository expiries, EvaluationPolicy policy, TaskRunner tasks, EventSink events) {
    this.expiries = expiries;
    this.policy = policy;
    this.tasks = tasks;
    this.events = events;
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(
        this::checkQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void checkQuietly() {
    try {
      check(Instant.now());
    } catch (RuntimeException e) {
      log.warn("event=expiry_check_failed reason=\"{}\"", e.getMessage(), e);
    }
  }

  void check(Instant now) {
    for (Expiry e : expiries.unwarned(now.plus(policy.warning()))) {
      expiries.markWarned(e.instanceId(), now);
      long seconds = Math.max(0, Duration.between(now, e.expiresAt()).toSeconds());
      log.info(
          "event=instance_expiring instance={} project={} expires_at={} seconds_left={}",
          e.instanceId(),
          e.projectId(),
          e.expiresAt(),
          seconds);
      events.publish(
          new Event(
              e.projectId(),
              "instance",
              e.instanceId(),
              "instance.expiring",
              "warning",
              "Instance "
                  + e.instanceId()
                  + " expires at "
                  + e.expiresAt()
                  + ": it will then be backed up and deleted unless an admin extends it.",
              Map.of("expires_at", e.expiresAt().toString(), "seconds_left", seconds),
              now));
    }
    for (Expiry e : expiries.due(now)) {
      boolean started =
          expiries.start(
              e.instanceId(),
              now,
              () ->
                  tasks.submit(
                      Task.create(
                          UUID.randomUUID().toString(),
                          TaskType.EXPIRE_INSTANCE,
                          e.instanceId(),
                          null)));
      if (started) {
        log.info(
            "event=instance_expiry_started instance={} project={} expires_at={}",
            e.instanceId(),
            e.projectId(),
            e.expiresAt());
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

package dev.coffer.server.instances;

import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRepository;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes what runs match what the state store believes, at start-up and every few seconds: restarts
 * dead agents of live instances (except those whose fate failover decides), removes anything on the
 * compute that belongs to no live instance, and settles instances whose operation was lost.
 */
public final class Reconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
  private static final Duration SETTLE = Duration.ofSeconds(30);

  private final InstanceRepository instances;
  private final InstanceService service;
  private final TaskRepository taskRepository;
  private final TaskRunner tasks;
  private final ComputeDriver compute;
  private final AgentGateway agents;
  private final Predicate<String> restartHeld;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "reconciler"));

  public Reconciler(
      InstanceRepository instances,
      InstanceService service,
      TaskRepository taskRepository,
      TaskRunner tasks,
      ComputeDriver compute,
      AgentGateway agents,
      Predicate<String> restartHeld) {
    this.instances = instances;
    this.service = service;
    this.taskRepository = taskRepository;
    this.tasks = tasks;
    this.compute = compute;
    this.agents = agents;
    this.restartHeld = restartHeld;
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(
        this::reconcileQuietly, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void reconcileQuietly() {
    try {
      reconcile();
    } catch (RuntimeException e) {
      log.warn("event=reconcile_failed error=\"{}\"", e.toString());
    }
  }

  public synchronized void reconcile() {
    Set<String> live = new HashSet<>();
    Instant now = Instant.now();
    for (Instance instance : instances.live()) {
      live.add(instance.id());
      // A cluster's member is provisioned and deleted by its cluster's task.
      boolean hasTask =
          !taskRepository.unfinished(instance.id()).isEmpty()
              || instances
                  .clusterOf(instance.id())
                  .map(c -> !taskRepository.unfinished(c.clusterId()).isEmpty())
                  .orElse(false);
      boolean settled = instance.updatedAt().isBefore(now.minus(SETTLE));
      switch (instance.task()) {
        case NONE -> {
          if (instance.port() != null
              && !compute.isAgentRunning(instance.id())
              && !restartHeld.test(instance.id())
              && instances
                  .find(instance.id())
                  .map(i -> i.task() == TaskStatus.NONE)
                  .orElse(false)) {
            compute.ensureRunning(service.launch(instance));
            agents.requeueUnanswered(instance.id());
            log.warn(
                "event=agent_restarted instance={} reason=\"agent process was not running\"",
                instance.id());
          }
        }
        case BUILDING -> {
          if (!hasTask && settled) {
            instances.setFaultIf(
                instance.id(),
                TaskStatus.BUILDING,
                TaskStatus.BUILDING_ERROR,
                "Provisioning was interrupted before it started; delete the instance and create it again.");
          }
        }
        case DELETING -> {
          if (!hasTask && settled) {
            tasks.submit(
                Task.create(
                    UUID.randomUUID().toString(), TaskType.DELETE_INSTANCE, instance.id(), null));
          }
        }
        case REBOOTING -> {
          if (!hasTask && settled) {
            instances.setFaultIf(
                instance.id(),
                TaskStatus.REBOOTING,
                TaskStatus.NONE,
                "The restart was interrupted.");
          }
        }
        default -> {
          // error states: processes stay stopped until the instance is deleted
        }
      }
    }
    for (String present : compute.presentInstances()) {
      if (!live.contains(present) && instances.find(present).isEmpty()) {
        log.warn("event=orphan_removed instance={}", present);
        compute.destroy(present);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

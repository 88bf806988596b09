package dev.coffer.server.tasks;

import dev.coffer.server.logging.LogIds;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs durable tasks: claims due rows, runs their handler on a worker, and records the outcome. One
 * task per instance runs at a time. On start, tasks a crashed server left RUNNING are resumed.
 */
public final class TaskRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);

  private final TaskRepository tasks;
  private final Map<TaskType, TaskHandler> handlers = new EnumMap<>(TaskType.class);
  private final int workers;
  private final ExecutorService pool;
  private final Semaphore free;
  private final Thread dispatcher;
  private final Object wakeUp = new Object();

  /**
   * The API request that submitted each unfinished task, for its log lines; in memory only (a task
   * resumed after a restart logs without it), removed when the task ends.
   */
  private final Map<String, String> requestIds = new ConcurrentHashMap<>();

  private volatile boolean running = true;
  private final TaskTimings timings;

  public TaskRunner(TaskRepository tasks, int workers) {
    this(tasks, workers, TaskTimings.NONE);
  }

  public TaskRunner(TaskRepository tasks, int workers, TaskTimings timings) {
    this.tasks = tasks;
    this.timings = timings;
    this.workers = workers;
    this.pool = Executors.newFixedThreadPool(workers, r -> new Thread(r, "task-worker"));
    this.free = new Semaphore(workers);
    this.dispatcher = new Thread(this::dispatch, "task-dispatcher");
    this.dispatcher.setDaemon(true);
  }

  /**
   * Handlers are registered before {@link #start()}; they may depend on services using this runner.
   */
  public void register(List<TaskHandler> taskHandlers) {
    taskHandlers.forEach(h -> handlers.put(h.type(), h));
  }

  public void start() {
    int resumed = tasks.requeueRunning();
    if (resumed > 0) {
      log.info("event=tasks_resumed count={}", resumed);
    }
    dispatcher.start();
  }

  public void submit(Task task) {
    tasks.insert(task);
    String requestId = MDC.get(LogIds.REQUEST_ID);
    if (requestId != null) {
      requestIds.put(task.id(), requestId);
    }
    log.info(
        "event=task_accepted task={} type={} instance={}",
        task.id(),
        task.type(),
        task.instanceId());
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
  }

  private void dispatch() {
    while (running) {
      try {
        free.acquire();
        Optional<Task> next = tasks.claimNext(Instant.now());
        if (next.isEmpty()) {
          free.release();
          synchronized (wakeUp) {
            wakeUp.wait(250);
          }
          continue;
        }
        Task task = next.get();
        pool.execute(
            () -> {
              // Every line the task's handler logs names what it works on and, until the server
              // restarts, the request that asked for it.
              String target =
                  task.type().name().endsWith("_CLUSTER") ? LogIds.CLUSTER_ID : LogIds.INSTANCE_ID;
              MDC.put(target, task.instanceId());
              String origin = requestIds.get(task.id());
              if (origin != null) {
                MDC.put(LogIds.REQUEST_ID, origin);
              }
              try {
                execute(task);
              } finally {
                MDC.remove(target);
                MDC.remove(LogIds.REQUEST_ID);
                free.release();
                synchronized (wakeUp) {
                  wakeUp.notifyAll();
                }
              }
            });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        free.release();
        log.warn("event=task_dispatch_error error=\"{}\"", e.toString());
        sleepQuietly(Duration.ofSeconds(1));
      }
    }
  }

  private void execute(Task task) {
    TaskHandler handler = handlers.get(task.type());
    long started = System.nanoTime();
    try {
      handler.run(task);
      tasks.complete(task.id());
      requestIds.remove(task.id());
      timed(task, "done", started);
      log.info(
          "event=task_done task={} type={} instance={} attempt={} ms={}",
          task.id(),
          task.type(),
          task.instanceId(),
          task.attempts(),
          (System.nanoTime() - started) / 1_000_000);
    } catch (Exception | LinkageError | AssertionError e) {
      if (!running) {
        // The control plane is stopping and interrupted the handler mid-wait: that is not the
        // task's failure. It stays RUNNING in the store and is resumed by the next start.
        log.info(
            "event=task_interrupted_by_shutdown task={} type={} instance={}",
            task.id(),
            task.type(),
            task.instanceId());
        return;
      }
      // LinkageError too: a task must end in a status, never leave a worker dead and the task
      // RUNNING until the next restart.
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      boolean permanent = e instanceof PermanentFailure;
      boolean outOfTime = Instant.now().isAfter(task.deadline());
      if (permanent || outOfTime || task.attempts() >= task.maxAttempts()) {
        String why = outOfTime && !permanent ? "timed out: " + reason : reason;
        log.warn(
            "event=task_failed task={} type={} instance={} reason=\"{}\"",
            task.id(),
            task.type(),
            task.instanceId(),
            why);
        if (!permanent) {
          log.debug("task failure detail", e);
        }
        try {
          handler.giveUp(task, why);
        } finally {
          tasks.fail(task.id(), why);
          requestIds.remove(task.id());
          timed(task, "failed", started);
        }
      } else {
        Instant next =
            Instant.now().plusMillis(Math.min(30_000, 500L << Math.min(task.attempts(), 6)));
        log.warn(
            "event=task_retry task={} type={} instance={} attempt={} reason=\"{}\"",
            task.id(),
            task.type(),
            task.instanceId(),
            task.attempts(),
            reason);
        tasks.retryLater(task.id(), next, reason);
        timed(task, "retry", started);
      }
    }
  }

  private void timed(Task task, String outcome, long startedNanos) {
    try {
      timings.finished(task.type(), outcome, Duration.ofNanos(System.nanoTime() - startedNanos));
    } catch (RuntimeException e) {
      log.debug("task timing not recorded", e);
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    dispatcher.interrupt();
    pool.shutdownNow();
    try {
      pool.awaitTermination(workers * 2L, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

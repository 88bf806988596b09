package dev.coffer.agent.runtime;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.EngineStatus;
import dev.coffer.api.agent.Heartbeat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knows what state the engine is in, says it in each heartbeat, and brings a dead engine back.
 *
 * <p>Status: BUILDING until PREPARE has succeeded once (remembered in a marker file, so a restarted
 * agent knows), FAILED if it failed, then RUNNING or SHUTDOWN from the engine's health. A prepared
 * engine found dead outside a lifecycle command (PREPARE, RESTART, SHUTDOWN) is restarted after a
 * delay that doubles while it keeps dying. Engine calls run on the single worker thread that also
 * runs commands, so they never overlap.
 */
final class EngineSupervisor {
  private static final Logger log = LoggerFactory.getLogger(EngineSupervisor.class);

  static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(3);
  static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(60);

  /** An engine that ran this long since its last restart starts over with the first delay. */
  static final Duration STABLE_AFTER = Duration.ofSeconds(60);

  private final Engine engine;
  private final VersionedStart start;
  private final Path preparedMarker;
  private final Path dataDir;
  private final ExecutorService worker;
  private final ScheduledExecutorService scheduler;
  private final Runnable heartbeatNow;

  private volatile boolean prepared;
  private volatile String prepareFailure;
  private volatile boolean lifecycleBusy;
  private volatile boolean shutDown;
  private volatile String downMessage;

  // Restart bookkeeping, guarded by this.
  private boolean restartScheduled;
  private Duration restartDelay = FIRST_RESTART_DELAY;
  private long lastRestartNanos;
  private boolean restartedBefore;

  EngineSupervisor(
      Engine engine,
      VersionedStart start,
      Path instanceDir,
      ExecutorService worker,
      ScheduledExecutorService scheduler,
      Runnable heartbeatNow) {
    this.engine = engine;
    this.start = start;
    this.preparedMarker = instanceDir.resolve("agent").resolve("prepared");
    this.dataDir = instanceDir.resolve("data");
    this.worker = worker;
    this.scheduler = scheduler;
    this.heartbeatNow = heartbeatNow;
    this.prepared = Files.exists(preparedMarker);
  }

  boolean isPrepared() {
    return prepared;
  }

  /** On agent start: a prepared engine is started, or adopted if it still runs. */
  void startIfPrepared() {
    if (!prepared) {
      return;
    }
    lifecycleBusy = true; // before the first heartbeat, which must not take it for a crash
    worker.execute(
        () -> {
          try {
            start.start();
            log.info("engine running after agent start pid={}", engine.pid().orElse(-1L));
          } catch (RuntimeException e) {
            log.warn("engine failed to start after agent start error={}", e.getMessage(), e);
            downMessage = "engine failed to start: " + e.getMessage();
          } finally {
            lifecycleBusy = false;
            heartbeatNow.run();
          }
        });
  }

  /** A PREPARE, RESTART or SHUTDOWN is running: the engine may be down on purpose. */
  void lifecycleStarted() {
    lifecycleBusy = true;
  }

  void lifecycleEnded() {
    lifecycleBusy = false;
    heartbeatNow.run();
  }

  void prepareSucceeded() {
    try {
      Files.createDirectories(preparedMarker.getParent());
      if (!Files.exists(preparedMarker)) {
        Files.createFile(preparedMarker);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + preparedMarker, e);
    }
    prepared = true;
    prepareFailure = null;
    downMessage = null;
  }

  void prepareFailed(String message) {
    if (!prepared) {
      prepareFailure = message;
    }
  }

  /** The engine was stopped for good by a SHUTDOWN command: never restart it. */
  void shutDown() {
    shutDown = true;
  }

  /** Checks the engine, starts a restart if it is found dead, and returns what to report. */
  Heartbeat check() {
    long used = OsProcesses.diskUsage(dataDir);
    if (shutDown) {
      return new Heartbeat(EngineStatus.SHUTDOWN, used, "shut down on request");
    }
    if (!prepared) {
      return prepareFailure == null
          ? new Heartbeat(EngineStatus.BUILDING, used, null)
          : new Heartbeat(EngineStatus.FAILED, used, prepareFailure);
    }
    if (engine.isHealthy()) {
      return new Heartbeat(EngineStatus.RUNNING, used, null);
    }
    if (lifecycleBusy) {
      return new Heartbeat(EngineStatus.SHUTDOWN, used, "engine is being started or stopped");
    }
    foundDown();
    return new Heartbeat(EngineStatus.SHUTDOWN, used, downMessage);
  }

  private synchronized void foundDown() {
    if (restartScheduled) {
      return;
    }
    long now = System.nanoTime();
    boolean diedSoon = restartedBefore && now - lastRestartNanos < STABLE_AFTER.toNanos();
    restartDelay =
        diedSoon ? min(restartDelay.multipliedBy(2), MAX_RESTART_DELAY) : FIRST_RESTART_DELAY;
    restartScheduled = true;
    downMessage = "engine is not running; restarting it in " + restartDelay.toSeconds() + " s";
    log.warn("engine found down restartInSeconds={}", restartDelay.toSeconds());
    scheduler.schedule(
        () -> worker.execute(this::restartIfDown), restartDelay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs on the worker, so never during a command. */
  private void restartIfDown() {
    boolean attempted = false;
    try {
      if (shutDown || engine.isHealthy()) {
        return; // a SHUTDOWN or RESTART command got there first
      }
      attempted = true;
      lifecycleBusy = true;
      start.start();
      downMessage = null;
      log.info("engine restarted pid={}", engine.pid().orElse(-1L));
    } catch (RuntimeException e) {
      downMessage = "engine failed to restart: " + e.getMessage();
      log.warn("engine failed to restart error={}", e.getMessage(), e);
    } finally {
      synchronized (this) {
        restartScheduled = false;
        if (attempted) {
          restartedBefore = true;
          lastRestartNanos = System.nanoTime();
        }
      }
      lifecycleBusy = false;
      heartbeatNow.run();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}

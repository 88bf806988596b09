package dev.coffer.agent.runtime;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.backups.BackupRunner;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.logging.JsonLineLayout;
import dev.coffer.api.agent.AgentConfig;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.EngineStatus;
import dev.coffer.api.agent.Heartbeat;
import dev.coffer.api.agent.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The guest agent of one instance: a command loop, a heartbeat loop and the engine's supervision.
 * Stopping the runtime leaves the engine running (a new agent adopts it); only a SHUTDOWN command
 * stops the engine, after which {@link #exitRequested()} completes.
 */
public final class AgentRuntime {
  private static final Logger log = LoggerFactory.getLogger(AgentRuntime.class);

  static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

  /** How often finished log files are looked for in the spool and shipped to the store. */
  static final Duration LOG_SHIPPING_INTERVAL = Duration.ofSeconds(2);

  /** MDC key carried by every log line of the agent's threads. */
  public static final String MDC_INSTANCE = JsonLineLayout.INSTANCE_ID;

  private final AgentConfig config;
  private final Engine engine;
  private final ControlPlaneClient client;
  private final ExecutorService worker;
  private final ScheduledExecutorService scheduler;
  private final BackupRunner backups;

  /** Shipping archived log files can take a while; it must never delay heartbeats. */
  private final ScheduledExecutorService logShipping;

  private final EngineSupervisor supervisor;
  private final CommandLoop commandLoop;
  private final Thread poller;
  private final CompletableFuture<Void> exitRequested = new CompletableFuture<>();

  // Touched only by the scheduler thread.
  private boolean heartbeatsDelivered = true;

  static final Duration METRICS_INTERVAL = Duration.ofSeconds(5);
  // Only the heartbeat thread reads and writes these.
  private Optional<EngineMetrics> lastMetrics = Optional.empty();
  private long metricsReadAt;
  private EngineStatus lastReported;

  private boolean started;
  private boolean stopped;

  public AgentRuntime(AgentConfig config, Engine engine) {
    this.config = config;
    this.engine = engine;
    ObjectMapper mapper =
        Json.newMapper()
            // A command type from a newer server becomes null and is refused, not a parse loop.
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL);
    this.client =
        new ControlPlaneClient(
            config.controlPlaneUrl(), config.instanceId(), config.secret(), mapper);
    this.worker = Executors.newSingleThreadExecutor(threads("worker"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(threads("heartbeat"));
    VersionedStart start =
        new VersionedStart(
            engine,
            Path.of(config.instanceDir()).resolve("data"),
            config.datastoreVersion(),
            config.binaries() == null ? Map.of() : config.binaries());
    this.supervisor =
        new EngineSupervisor(
            engine, start, Path.of(config.instanceDir()), worker, scheduler, this::heartbeatNow);
    this.backups =
        new BackupRunner(
            engine, config.datastore(), Path.of(config.instanceDir()).resolve("agent"), mapper);
    this.logShipping = Executors.newSingleThreadScheduledExecutor(threads("log-shipper"));
    this.commandLoop =
        new CommandLoop(
            client,
            new CommandDispatcher(engine, start, backups, mapper),
            supervisor,
            worker,
            () -> exitRequested.complete(null));
    this.poller = threads("commands").newThread(commandLoop);
  }

  /** Builds the engine the config names, through the engine catalog. */
  public static AgentRuntime create(AgentConfig config) {
    EngineFactory factory =
        EngineCatalog.load()
            .factory(config.datastore())
            .orElseThrow(
                () -> new IllegalArgumentException("unknown datastore " + config.datastore()));
    Optional<String> runAsUser =
        config.runAsUser() == null || config.runAsUser().isBlank()
            ? Optional.empty()
            : Optional.of(config.runAsUser());
    EngineContext context =
        EngineContext.of(
            config.instanceId(),
            config.bindAddress(),
            config.port(),
            Path.of(config.instanceDir()),
            config.memoryMb(),
            runAsUser,
            config.binaries() == null ? Map.of() : config.binaries());
    return new AgentRuntime(config, factory.create(context));
  }

  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    withInstanceInLogs(
        () -> {
          log.info(
              "agent starting datastore={} version={} address={}:{} prepared={}",
              config.datastore(),
              config.datastoreVersion(),
              config.bindAddress(),
              config.port(),
              supervisor.isPrepared());
          supervisor.startIfPrepared();
          scheduler.scheduleWithFixedDelay(
              this::heartbeat, 0, HEARTBEAT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
          poller.start();
          if (backups.archivesLog()) {
            logShipping.scheduleWithFixedDelay(
                backups::shipLog, 0, LOG_SHIPPING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
          }
        });
  }

  /** Stops the agent's loops; the engine keeps running. */
  public synchronized void stop() {
    if (!started || stopped) {
      return;
    }
    stopped = true;
    withInstanceInLogs(
        () -> {
          commandLoop.stop();
          poller.interrupt();
          scheduler.shutdownNow();
          worker.shutdownNow();
          logShipping.shutdownNow();
          try {
            poller.join(10_000);
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
            worker.awaitTermination(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          log.info("agent stopped");
        });
  }

  /** The caller's thread is not ours: tag its log lines for the duration of the call. */
  private void withInstanceInLogs(Runnable action) {
    String previous = MDC.get(MDC_INSTANCE);
    MDC.put(MDC_INSTANCE, config.instanceId());
    try {
      action.run();
    } finally {
      if (previous == null) {
        MDC.remove(MDC_INSTANCE);
      } else {
        MDC.put(MDC_INSTANCE, previous);
      }
    }
  }

  /** Completes once a SHUTDOWN command stopped the engine and its result was delivered. */
  public CompletableFuture<Void> exitRequested() {
    return exitRequested;
  }

  public Engine engine() {
    return engine;
  }

  private void heartbeatNow() {
    try {
      scheduler.execute(this::heartbeat);
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  /** A running engine that replicates reports its role, lag and position with every heartbeat. */
  private Heartbeat withReplication(Heartbeat heartbeat) {
    if (!(engine instanceof ReplicationEngine replication)
        || heartbeat.status() != EngineStatus.RUNNING) {
      return heartbeat;
    }
    try {
      return heartbeat.withReplication(replication.replicationStatus());
    } catch (RuntimeException e) {
      log.warn("cannot read the replication status: {}", e.getMessage());
      return heartbeat;
    }
  }

  /**
   * A running engine reports its connections and operations with its heartbeats. They are read at
   * most every {@link #METRICS_INTERVAL} (a query each second would be load of its own) and the
   * last reading goes with the heartbeats in between.
   */
  private Heartbeat withMetrics(Heartbeat heartbeat) {
    if (heartbeat.status() != EngineStatus.RUNNING) {
      lastMetrics = Optional.empty();
      return heartbeat;
    }
    if (lastMetrics.isEmpty() || System.nanoTime() - metricsReadAt >= METRICS_INTERVAL.toNanos()) {
      try {
        lastMetrics = engine.metrics();
      } catch (RuntimeException e) {
        log.debug("cannot read the engine's metrics: {}", e.getMessage());
        lastMetrics = Optional.empty();
      }
      metricsReadAt = System.nanoTime();
    }
    return lastMetrics.map(heartbeat::withMetrics).orElse(heartbeat);
  }

  /** Never throws: a scheduled task that throws is never run again. */
  private void heartbeat() {
    if (!Files.isDirectory(Path.of(config.instanceDir()))) {
      // The instance was destroyed around this agent (for example while it was being started):
      // nothing is left to serve, and an agent polling forever would be an orphan.
      log.warn("instance directory {} is gone; the agent exits", config.instanceDir());
      exitRequested.complete(null);
      return;
    }
    try {
      Heartbeat checked = supervisor.check();
      Heartbeat heartbeat =
          backups
              .logArchivedUntil()
              .map(until -> checked.withLogArchivedUntil(until.toString()))
              .orElse(checked);
      heartbeat = withMetrics(withReplication(heartbeat));
      if (heartbeat.status() != lastReported) {
        if (heartbeat.message() == null) {
          log.info("engine status={}", heartbeat.status());
        } else {
          log.info("engine status={} message=\"{}\"", heartbeat.status(), heartbeat.message());
        }
        lastReported = heartbeat.status();
      }
      int status = client.sendHeartbeat(heartbeat);
      if (status / 100 != 2) {
        throw new ControlPlaneClient.UnexpectedStatus(status);
      }
      if (!heartbeatsDelivered) {
        log.info("heartbeats delivered again");
        heartbeatsDelivered = true;
      }
    } catch (IOException e) {
      if (heartbeatsDelivered) {
        log.warn("heartbeat not delivered error=\"{}\"", CommandLoop.describe(e));
        heartbeatsDelivered = false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("heartbeat failed", e);
    }
  }

  private ThreadFactory threads(String role) {
    String instanceId = config.instanceId();
    return runnable -> {
      Thread thread =
          new Thread(
              () -> {
                MDC.put(MDC_INSTANCE, instanceId);
                runnable.run();
              },
              "agent-" + role);
      thread.setDaemon(true);
      return thread;
    };
  }
}

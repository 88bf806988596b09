package dev.coffer.agent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.AgentCommand;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.ErrorKind;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches commands one at a time, runs each on the worker, and delivers its result before asking
 * for the next one, retrying while the control plane is unreachable: a result is never dropped
 * because the control plane was restarting. Logs name commands by type and id only, never their
 * payloads or results, which may hold passwords.
 */
final class CommandLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(CommandLoop.class);

  static final int LONG_POLL_SECONDS = 20;

  /** Results kept to answer a re-sent command without running it twice. */
  private static final int REMEMBERED_RESULTS = 64;

  private final ControlPlaneClient client;
  private final CommandDispatcher dispatcher;
  private final EngineSupervisor supervisor;
  private final ExecutorService worker;
  private final Runnable onShutdown;
  private final Map<String, CommandResult> recentResults =
      new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CommandResult> eldest) {
          return size() > REMEMBERED_RESULTS;
        }
      };
  private volatile boolean running = true;

  CommandLoop(
      ControlPlaneClient client,
      CommandDispatcher dispatcher,
      EngineSupervisor supervisor,
      ExecutorService worker,
      Runnable onShutdown) {
    this.client = client;
    this.dispatcher = dispatcher;
    this.supervisor = supervisor;
    this.worker = worker;
    this.onShutdown = onShutdown;
  }

  void stop() {
    running = false;
  }

  @Override
  public void run() {
    Backoff backoff = new Backoff();
    boolean reachable = true;
    while (running && !Thread.currentThread().isInterrupted()) {
      Optional<AgentCommand> next;
      try {
        next = client.nextCommand(LONG_POLL_SECONDS);
      } catch (IOException e) {
        if (reachable) {
          log.warn("control plane unreachable, retrying error=\"{}\"", describe(e));
          reachable = false;
        }
        if (!backoff.pause()) {
          return;
        }
        continue;
      } catch (InterruptedException e) {
        return;
      }
      if (!reachable) {
        log.info("control plane reachable again");
        reachable = true;
      }
      backoff.reset();
      if (next.isEmpty()) {
        continue;
      }
      AgentCommand command = next.get();
      Optional<CommandResult> result = resultOf(command);
      if (result.isEmpty() || !deliver(command, result.get())) {
        return; // stopping
      }
      if (command.type() == CommandType.SHUTDOWN && result.get().ok()) {
        onShutdown.run();
        return;
      }
    }
  }

  /** Runs the command on the worker; empty if the agent is stopping. */
  private Optional<CommandResult> resultOf(AgentCommand command) {
    CommandResult remembered = recentResults.get(command.id());
    if (remembered != null) {
      log.info(
          "command already done, sending its result again type={} id={}",
          command.type(),
          command.id());
      return Optional.of(remembered);
    }
    log.info("command received type={} id={}", command.type(), command.id());
    Future<CommandResult> future;
    try {
      future = worker.submit(() -> execute(command));
    } catch (RejectedExecutionException e) {
      return Optional.empty();
    }
    CommandResult result;
    try {
      result = future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException e) {
      log.error("command crashed type={} id={}", command.type(), command.id(), e.getCause());
      result = unexpected(e.getCause());
    }
    recentResults.put(command.id(), result);
    return Optional.of(result);
  }

  private CommandResult execute(AgentCommand command) {
    CommandType type = command.type();
    if (type == null) {
      return CommandResult.failure(
          ErrorKind.BAD_REQUEST,
          "This agent does not know the command; is it older than the server?");
    }
    boolean lifecycle =
        type == CommandType.PREPARE || type == CommandType.RESTART || type == CommandType.SHUTDOWN;
    long started = System.nanoTime();
    if (lifecycle) {
      supervisor.lifecycleStarted();
    }
    try {
      JsonNode result = dispatcher.execute(command);
      if (type == CommandType.PREPARE) {
        supervisor.prepareSucceeded();
      } else if (type == CommandType.SHUTDOWN) {
        supervisor.shutDown();
      }
      log.info(
          "command done type={} id={} ms={}",
          type,
          command.id(),
          (System.nanoTime() - started) / 1_000_000);
      return CommandResult.success(result);
    } catch (EngineException e) {
      if (e.kind() == ErrorKind.ENGINE_FAILURE) {
        log.warn(
            "command failed type={} id={} kind={} error=\"{}\"",
            type,
            command.id(),
            e.kind(),
            e.getMessage(),
            e);
      } else {
        log.info(
            "command refused type={} id={} kind={} error=\"{}\"",
            type,
            command.id(),
            e.kind(),
            e.getMessage());
      }
      if (type == CommandType.PREPARE) {
        supervisor.prepareFailed(e.getMessage());
      }
      return CommandResult.failure(e.kind(), e.getMessage());
    } catch (RuntimeException e) {
      log.error("command crashed type={} id={}", type, command.id(), e);
      CommandResult failure = unexpected(e);
      if (type == CommandType.PREPARE) {
        supervisor.prepareFailed(failure.error());
      }
      return failure;
    } finally {
      if (lifecycle) {
        supervisor.lifecycleEnded();
      }
    }
  }

  /** The stack trace stays in the agent log; the API user gets a short message. */
  private static CommandResult unexpected(Throwable e) {
    return CommandResult.failure(
        ErrorKind.ENGINE_FAILURE,
        "The agent failed unexpectedly (" + e.getClass().getSimpleName() + "); see the agent log.");
  }

  /** Retries until the control plane has the result; false only if the agent is stopping. */
  private boolean deliver(AgentCommand command, CommandResult result) {
    Backoff backoff = new Backoff();
    int attempts = 0;
    while (running) {
      attempts++;
      try {
        int status = client.sendResult(command.id(), result);
        if (status / 100 == 2) {
          if (attempts > 1) {
            log.info(
                "result delivered type={} id={} attempts={}",
                command.type(),
                command.id(),
                attempts);
          }
          return true;
        }
        if (status / 100 == 4 && status != 408 && status != 429) {
          // The control plane will never take it (unknown command, instance deleted...).
          log.warn(
              "control plane refused result type={} id={} status={}",
              command.type(),
              command.id(),
              status);
          return true;
        }
        if (attempts == 1) {
          log.warn("result not accepted, retrying id={} status={}", command.id(), status);
        }
      } catch (IOException e) {
        if (attempts == 1) {
          log.warn("result not delivered, retrying id={} error=\"{}\"", command.id(), describe(e));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      if (!backoff.pause()) {
        return false;
      }
    }
    return false;
  }

  static String describe(IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}

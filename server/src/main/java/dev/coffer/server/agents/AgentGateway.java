package dev.coffer.server.agents;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.AgentCommand;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.Heartbeat;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.PasswordHasher;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's side of the agent conversation. Commands are rows (so none is lost when the
 * server restarts); agents long-poll for them and post results; callers wait for results.
 */
public final class AgentGateway {
  private static final Logger log = LoggerFactory.getLogger(AgentGateway.class);

  private final CommandRepository commands;
  private final InstanceRepository instances;
  private final ObjectMapper json;
  private final BiConsumer<String, Instant> logArchived;
  private final BiConsumer<String, ReplicationStatus> replicationReported;
  private final BiConsumer<String, Heartbeat> heartbeatReceived;
  private final Object signal = new Object();

  /**
   * Agent starts per instance since this server started. A long-poll opened before the latest start
   * may be held for a dead agent (its connection is not noticed closed until written to), so it
   * must not take commands; see {@link #next}.
   */
  private final Map<String, Long> generations = new ConcurrentHashMap<>();

  /** Makes "is this poll current?" and "take the next command" one step against a new start. */
  private final Object deliveries = new Object();

  /**
   * @param logArchived told when an agent reports how far its instance's log archive reaches
   * @param replicationReported told the replication role, lag and progress an agent reports
   */
  public AgentGateway(
      CommandRepository commands,
      InstanceRepository instances,
      ObjectMapper json,
      BiConsumer<String, Instant> logArchived,
      BiConsumer<String, ReplicationStatus> replicationReported) {
    this(commands, instances, json, logArchived, replicationReported, (id, heartbeat) -> {});
  }

  /**
   * @param heartbeatReceived told every heartbeat once it is recorded (metrics, volume samples);
   *     must be quick and never throw
   */
  public AgentGateway(
      CommandRepository commands,
      InstanceRepository instances,
      ObjectMapper json,
      BiConsumer<String, Instant> logArchived,
      BiConsumer<String, ReplicationStatus> replicationReported,
      BiConsumer<String, Heartbeat> heartbeatReceived) {
    this.heartbeatReceived = heartbeatReceived;
    this.commands = commands;
    this.instances = instances;
    this.json = json;
    this.logArchived = logArchived;
    this.replicationReported = replicationReported;
  }

  /** Queues a command under a stable id (no-op if it exists) and wakes the agent's poll. */
  public void send(String instanceId, String commandId, CommandType type, Object payload) {
    commands.insertIfAbsent(
        new StoredCommand(
            commandId,
            instanceId,
            type,
            payload == null ? null : write(payload),
            "PENDING",
            null,
            null,
            null));
    wake();
  }

  /** Waits for the result of a command. */
  public CommandResult await(String commandId, Duration timeout) throws TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<StoredCommand> stored = commands.find(commandId);
      if (stored.isPresent() && stored.get().done()) {
        StoredCommand c = stored.get();
        return new CommandResult(
            c.errorKind() == null,
            c.result() == null ? null : read(c.result()),
            c.errorKind(),
            c.error());
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        throw new TimeoutException("no result for command " + commandId);
      }
      synchronized (signal) {
        try {
          signal.wait(Math.min(500, Math.max(1, remaining / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TimeoutException("interrupted");
        }
      }
    }
  }

  /**
   * Sends a command and waits for its result; maps the agent's failure to the matching fault. For
   * API calls that answer synchronously (list users, create database...).
   */
  public <T> T call(
      Instance instance, CommandType type, Object payload, JavaType resultType, Duration timeout) {
    String id = UUID.randomUUID().toString();
    send(instance.id(), id, type, payload);
    CommandResult result;
    try {
      result = await(id, timeout);
    } catch (TimeoutException e) {
      commands.cancel(id);
      throw new ApiException.UnprocessableEntity(
          "The guest agent of instance "
              + instance.id()
              + " did not answer within "
              + timeout.toSeconds()
              + " s. Try again; if this persists, restart the instance.");
    }
    if (!result.ok()) {
      throw fault(result);
    }
    if (resultType == null || result.result() == null || result.result().isNull()) {
      return null;
    }
    return json.convertValue(result.result(), resultType);
  }

  public static ApiException fault(CommandResult result) {
    String message = result.error() == null ? "The engine refused the request." : result.error();
    return switch (result.errorKind()) {
      case NOT_FOUND -> new ApiException.NotFound(message);
      case CONFLICT -> new ApiException.Conflict(message);
      case BAD_REQUEST, UNSUPPORTED -> new ApiException.BadRequest(message);
      case ENGINE_FAILURE ->
          new ApiException.BadRequest("An error occurred communicating with the guest: " + message);
    };
  }

  /** Long-poll: the next command for the instance, waiting up to {@code wait}. */
  public Optional<AgentCommand> next(String instanceId, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    long generation = generations.getOrDefault(instanceId, 0L);
    while (true) {
      Optional<StoredCommand> next;
      synchronized (deliveries) {
        if (generations.getOrDefault(instanceId, 0L) != generation) {
          // A new agent was started since this poll began: the poll may belong to a dead agent,
          // and a command handed to it would be lost. The live agent polls again.
          return Optional.empty();
        }
        next = commands.deliverNext(instanceId);
      }
      if (next.isPresent()) {
        StoredCommand c = next.get();
        log.info(
            "event=command_delivered instance={} command={} type={}", instanceId, c.id(), c.type());
        return Optional.of(
            new AgentCommand(c.id(), c.type(), c.payload() == null ? null : read(c.payload())));
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return Optional.empty();
      }
      synchronized (signal) {
        try {
          signal.wait(Math.min(1000, Math.max(1, remaining / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Optional.empty();
        }
      }
    }
  }

  public void complete(String instanceId, String commandId, CommandResult result) {
    boolean recorded =
        commands.complete(
            instanceId, commandId, result, result.result() == null ? null : write(result.result()));
    log.info(
        "event=command_result instance={} command={} ok={} kind={} recorded={}",
        instanceId,
        commandId,
        result.ok(),
        result.errorKind(),
        recorded);
    wake();
  }

  public void heartbeat(String instanceId, Heartbeat heartbeat) {
    instances.recordHeartbeat(
        instanceId, heartbeat.status(), heartbeat.volumeUsedBytes(), Instant.now());
    if (heartbeat.logArchivedUntil() != null) {
      try {
        logArchived.accept(instanceId, Instant.parse(heartbeat.logArchivedUntil()));
      } catch (DateTimeParseException e) {
        log.warn("event=bad_heartbeat instance={} field=logArchivedUntil", instanceId);
      }
    }
    if (heartbeat.replication() != null) {
      replicationReported.accept(instanceId, heartbeat.replication());
    }
    try {
      heartbeatReceived.accept(instanceId, heartbeat);
    } catch (RuntimeException e) {
      log.warn(
          "event=heartbeat_listener_failed instance={} error=\"{}\"", instanceId, e.toString());
    }
  }

  /** Commands a dead agent took but never answered are delivered again to its successor. */
  public void requeueUnanswered(String instanceId) {
    int n;
    synchronized (deliveries) {
      generations.merge(instanceId, 1L, Long::sum);
      n = commands.requeueDelivered(instanceId);
    }
    wake();
    if (n > 0) {
      log.info("event=commands_requeued instance={} count={}", instanceId, n);
    }
  }

  /** Withdraws one command its agent has not answered (a caller stopped waiting for it). */
  public void cancel(String commandId) {
    commands.cancel(commandId);
  }

  public void cancelAll(String instanceId) {
    commands.cancelAll(instanceId);
  }

  /** The instance whose agent presents {@code bearer}, or 401. */
  public Instance authenticate(String instanceId, String authorization) {
    Instance instance =
        instances
            .find(instanceId)
            .orElseThrow(() -> new ApiException.Unauthorized("Unknown instance."));
    String presented =
        authorization != null && authorization.startsWith("Bearer ")
            ? authorization.substring(7).strip()
            : "";
    String expected = instance.agentSecretHash();
    if (expected == null
        || !MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8),
            PasswordHasher.sha256(presented).getBytes(StandardCharsets.UTF_8))) {
      throw new ApiException.Unauthorized("Bad agent credentials.");
    }
    return instance;
  }

  private void wake() {
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode read(String text) {
    try {
      return json.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

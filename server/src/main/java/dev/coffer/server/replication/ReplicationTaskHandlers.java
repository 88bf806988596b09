package dev.coffer.server.replication;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.RestoreRequest;
import dev.coffer.api.agent.RestoreSource;
import dev.coffer.api.agent.SourceReady;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.backups.Backup;
import dev.coffer.server.backups.BackupService;
import dev.coffer.server.backups.BackupStatus;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.events.Event;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.identity.Role;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstancePlacement;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable steps of replica create, switchover, failover (eject), detach and rejoin. Each step
 * is safe to repeat after a crash: agent commands carry ids derived from the task, the engines'
 * replication calls are idempotent, and the set's primary is recorded as soon as it changes, so a
 * resumed task knows which steps are behind it.
 */
public final class ReplicationTaskHandlers {
  private static final Logger log = LoggerFactory.getLogger(ReplicationTaskHandlers.class);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration REJOIN_LINK_TIMEOUT = Duration.ofSeconds(20);

  private final ReplicationRepository sets;
  private final ReplicationService replication;
  private final InstanceRepository instances;
  private final InstancePlacement placement;
  private final AgentGateway agents;
  private final BackupService backups;
  private final ComputeDriver compute;
  private final PrimaryEndpoints endpoints;
  private final TaskRunner tasks;
  private final ObjectMapper json;
  private final EventSink events;

  public ReplicationTaskHandlers(
      ReplicationRepository sets,
      ReplicationService replication,
      InstanceRepository instances,
      InstancePlacement placement,
      AgentGateway agents,
      BackupService backups,
      ComputeDriver compute,
      PrimaryEndpoints endpoints,
      TaskRunner tasks,
      ObjectMapper json) {
    this(
        sets,
        replication,
        instances,
        placement,
        agents,
        backups,
        compute,
        endpoints,
        tasks,
        json,
        EventSink.NONE);
  }

  /**
   * @param events receives {@code replication.failover} (failover, eject, switchover) and the set's
   *     other topology changes as {@code replication.<kind>}
   */
  public ReplicationTaskHandlers(
      ReplicationRepository sets,
      ReplicationService replication,
      InstanceRepository instances,
      InstancePlacement placement,
      AgentGateway agents,
      BackupService backups,
      ComputeDriver compute,
      PrimaryEndpoints endpoints,
      TaskRunner tasks,
      ObjectMapper json,
      EventSink events) {
    this.events = events;
    this.sets = sets;
    this.replication = replication;
    this.instances = instances;
    this.placement = placement;
    this.agents = agents;
    this.backups = backups;
    this.compute = compute;
    this.endpoints = endpoints;
    this.tasks = tasks;
    this.json = json;
  }

  public List<TaskHandler> all() {
    return List.of(
        new CreateReplica(), new Switchover(), new Failover(), new Detach(), new Rejoin());
  }

  // ---- agent calls ----

  private CommandResult command(
      String instanceId, String commandId, CommandType type, Object payload)
      throws TimeoutException {
    agents.send(instanceId, commandId, type, payload);
    CommandResult result = agents.await(commandId, COMMAND_TIMEOUT);
    if (!result.ok()) {
      throw new IllegalStateException(type + " on " + instanceId + " failed: " + result.error());
    }
    return result;
  }

  private Optional<ReplicationStatus> status(String instanceId, Duration timeout) {
    String id = UUID.randomUUID().toString();
    agents.send(instanceId, id, CommandType.REPLICATION_STATUS, null);
    try {
      CommandResult result = agents.await(id, timeout);
      if (!result.ok() || result.result() == null) {
        return Optional.empty();
      }
      ReplicationStatus status = json.convertValue(result.result(), ReplicationStatus.class);
      replication.recordStatus(instanceId, status);
      return Optional.of(status);
    } catch (TimeoutException e) {
      agents.cancel(id);
      return Optional.empty();
    }
  }

  /** Whether the member reports itself a connected replica within {@code within}. */
  private boolean follows(String instanceId, Duration within) throws InterruptedException {
    Instant deadline = Instant.now().plus(within);
    while (Instant.now().isBefore(deadline)) {
      Optional<ReplicationStatus> s = status(instanceId, STATUS_TIMEOUT);
      if (s.isPresent()
          && ReplicationStatus.REPLICA.equals(s.get().role())
          && s.get().connected()) {
        return true;
      }
      Thread.sleep(500);
    }
    return false;
  }

  /** How a replica reaches its source, and whether it is filled from a backup first. */
  private record SourceLink(ReplicaSetup setup, boolean seedsFromBackup) {}

  private ReplicaSetup setupFor(ReplicaSet set, String sourceId, String replicaId, String step)
      throws TimeoutException {
    return link(set, sourceId, replicaId, step).setup();
  }

  /** Makes {@code sourceId} ready for {@code replicaId} and tells how the replica reaches it. */
  private SourceLink link(ReplicaSet set, String sourceId, String replicaId, String step)
      throws TimeoutException {
    Instance source = instances.find(sourceId).orElseThrow();
    CommandResult ready =
        command(
            sourceId,
            step + ":src:" + replicaId,
            CommandType.PREPARE_SOURCE,
            new SourceRequest(replication.credentials(set), replicaId, set.synchronous()));
    SourceReady positions = json.convertValue(ready.result(), SourceReady.class);
    return new SourceLink(
        new ReplicaSetup(
            sourceId,
            source.address(),
            source.port(),
            replication.credentials(set),
            positions.positions(),
            set.synchronous()),
        positions.seedsFromBackup());
  }

  private void repoint(ReplicaSet set, String memberId, String newPrimary, String step)
      throws TimeoutException {
    ReplicaSetup setup = setupFor(set, newPrimary, memberId, step);
    command(memberId, step + ":rp:" + memberId, CommandType.REPOINT, setup);
    sets.putMember(memberId, set.id(), newPrimary);
  }

  private void event(ReplicaSet set, String kind, String from, String to, String detail) {
    sets.addEvent(
        new ReplicationEvent(
            UUID.randomUUID().toString(), set.id(), Instant.now(), kind, from, to, detail));
    log.info(
        "event=replication_{} set={} old_primary={} new_primary={} detail=\"{}\"",
        kind,
        set.id(),
        from,
        to,
        detail);
    Map<String, Object> details = new HashMap<>();
    details.put("set_id", set.id());
    details.put("kind", kind);
    if (from != null) {
      details.put("old_primary", from);
    }
    if (to != null) {
      details.put("new_primary", to);
    }
    boolean failover = List.of("failover", "eject", "switchover").contains(kind);
    events.publish(
        new Event(
            set.projectId(),
            "instance",
            to != null ? to : set.id(),
            failover ? "replication.failover" : "replication." + kind,
            kind.equals("failover") ? "warning" : "info",
            failover
                ? kind + ": " + to + " is the primary now (was " + from + "); " + detail
                : kind + ": " + detail,
            details,
            Instant.now()));
  }

  private void clearTasks(ReplicaSet set, TaskStatus expected) {
    for (ReplicaMember m : sets.members(set.id())) {
      instances
          .find(m.instanceId())
          .filter(i -> i.task() == expected)
          .ifPresent(i -> instances.setFault(i.id(), TaskStatus.NONE, null));
    }
  }

  /**
   * Every member of the task's set still in {@code during} ends in {@code outcome}, with a fault.
   */
  private void failMembers(Task task, TaskStatus during, TaskStatus outcome, String fault) {
    Optional<ReplicaSet> set = Optional.empty();
    try {
      set = sets.findSet(topology(task).setId());
    } catch (Exception unreadable) {
      log.warn("event=task_payload_unreadable task={}", task.id());
    }
    List<String> ids = new ArrayList<>();
    set.ifPresentOrElse(
        s -> sets.members(s.id()).forEach(m -> ids.add(m.instanceId())),
        () -> ids.add(task.instanceId()));
    for (String id : ids) {
      instances
          .find(id)
          .filter(i -> i.task() == during)
          .ifPresent(i -> instances.setFault(i.id(), outcome, fault));
    }
  }

  private static Double larger(Double a, Double b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return Double.valueOf(Math.max(a, b));
  }

  private static Principal system(String projectId) {
    return new Principal("coffer", "coffer", projectId, projectId, Role.ADMIN, null);
  }

  private ReplicationService.TopologyPayload topology(Task task) throws Exception {
    return json.readValue(task.payload(), ReplicationService.TopologyPayload.class);
  }

  /**
   * Fills {@code replica} from {@code source} and makes it follow it: the source gets ready for it,
   * a seed backup of the source is taken (engines that seed from one) and restored into the
   * replica, which then starts replicating. Also rebuilds a former primary that cannot rejoin by
   * re-pointing (its history diverged): its data is replaced by the seed's. Steps carry ids from
   * {@code step}.
   */
  private void fill(Task task, ReplicaSet set, Instance source, Instance replica, String step)
      throws Exception {
    SourceLink link = link(set, source.id(), replica.id(), step);
    ReplicaSetup setup = link.setup();
    RestoreRequest restore = null;
    Optional<Backup> seed = Optional.empty();
    if (link.seedsFromBackup()) {
      seed = Optional.of(seedBackup(task, source, replica));
      restore = backups.restoreRequest(system(source.projectId()), seed.get().id());
      Map<String, String> positions = new HashMap<>(setup.positions());
      List<RestoreSource> chain = restore.chain();
      RestoreSource last = chain.get(chain.size() - 1);
      if (last.engine() != null) {
        last.engine().position().forEach(positions::putIfAbsent);
      }
      setup =
          new ReplicaSetup(
              setup.sourceId(),
              setup.sourceHost(),
              setup.sourcePort(),
              setup.credentials(),
              positions,
              setup.synchronous());
    }
    String prepare = step + ":prepare";
    agents.send(
        replica.id(),
        prepare,
        CommandType.PREPARE,
        new PrepareRequest(List.of(), List.of(), restore, null, setup));
    CommandResult result;
    try {
      Duration left = Duration.between(Instant.now(), task.deadline());
      result = agents.await(prepare, left.isNegative() ? Duration.ZERO : left);
    } catch (TimeoutException e) {
      throw new PermanentFailure("The replica did not become ready in time.");
    }
    if (!result.ok()) {
      throw new PermanentFailure("The replica could not be prepared: " + result.error());
    }
    seed.ifPresent(b -> backups.delete(system(source.projectId()), b.id()));
  }

  /** The backup the replica is filled from: found again by name when the task is resumed. */
  private Backup seedBackup(Task task, Instance source, Instance replica) throws Exception {
    Principal system = system(source.projectId());
    String name = "replica-seed-" + replica.id();
    Backup backup =
        backups.list(system, Optional.of(source.id())).stream()
            .filter(b -> b.name().equals(name) && b.status() != BackupStatus.FAILED)
            .findFirst()
            .orElseGet(() -> newSeedBackup(task, system, name, source, replica));
    while (true) {
      Backup now = backups.get(system, backup.id());
      if (now.status() == BackupStatus.COMPLETED) {
        return now;
      }
      if (now.status() == BackupStatus.FAILED) {
        backups.delete(system, now.id());
        throw new IllegalStateException(
            "the seed backup of the source failed: " + now.faultMessage());
      }
      if (Instant.now().isAfter(task.deadline())) {
        throw new PermanentFailure("The seed backup of the source did not finish in time.");
      }
      Thread.sleep(250);
    }
  }

  /**
   * Starts the seed backup, waiting while another backup of the source runs (replicas created
   * together each take their turn).
   */
  private Backup newSeedBackup(
      Task task, Principal system, String name, Instance source, Instance replica) {
    while (true) {
      try {
        return backups.create(
            system,
            name,
            source.id(),
            Optional.of("Seed of replica " + replica.id() + "; deleted once used."),
            false,
            Optional.empty(),
            false);
      } catch (ApiException.UnprocessableEntity busy) {
        if (Instant.now().isAfter(task.deadline())) {
          throw busy;
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    }
  }

  // ---- tasks ----

  /** Source ready, seed backup (engines that need one), replica filled and following. */
  final class CreateReplica implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.CREATE_REPLICA;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Instance> found = instances.find(task.instanceId());
      if (found.isEmpty() || found.get().task() != TaskStatus.BUILDING) {
        return;
      }
      ReplicationService.CreatePayload payload =
          json.readValue(task.payload(), ReplicationService.CreatePayload.class);
      ReplicaSet set = sets.findSet(payload.setId()).orElseThrow();
      Instance replica = placement.place(found.get());
      Instance source =
          instances
              .find(payload.sourceId())
              .orElseThrow(() -> new PermanentFailure("The source instance no longer exists."));
      fill(task, set, source, replica, task.id());
      instances.markRunning(replica.id(), Instant.now());
      instances.setFault(replica.id(), TaskStatus.NONE, null);
      event(set, "replica_created", null, null, "replica " + replica.id() + " of " + source.id());
    }

    @Override
    public void giveUp(Task task, String reason) {
      instances
          .find(task.instanceId())
          .ifPresent(
              replica -> {
                agents.cancelAll(replica.id());
                compute.stop(replica.id());
                instances.setFault(replica.id(), TaskStatus.BUILDING_ERROR, reason);
                log.warn("event=replica_error replica={} reason=\"{}\"", replica.id(), reason);
              });
    }
  }

  /**
   * Planned switchover: fence the primary, wait until the replica has everything the primary
   * acknowledged, promote it, and make every other member (the old primary first) its replica.
   */
  final class Switchover implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.SWITCHOVER;
    }

    @Override
    public void run(Task task) throws Exception {
      ReplicationService.TopologyPayload payload = topology(task);
      ReplicaSet set = sets.findSet(payload.setId()).orElseThrow();
      String target = task.instanceId();
      String old = payload.oldPrimary();
      Instant started = Instant.now();
      if (!set.primaryId().equals(target)) {
        command(old, task.id() + ":fence", CommandType.FENCE, null);
        long fenced =
            status(old, COMMAND_TIMEOUT)
                .orElseThrow(() -> new IllegalStateException("the old primary did not answer"))
                .progress();
        Instant deadline = Instant.now().plus(CATCH_UP_TIMEOUT);
        while (true) {
          Optional<ReplicationStatus> s = status(target, STATUS_TIMEOUT);
          if (s.isPresent() && s.get().progress() >= fenced) {
            break;
          }
          if (Instant.now().isAfter(deadline)) {
            // Nothing was promoted: the old primary takes writes again.
            command(old, task.id() + ":unfence", CommandType.PROMOTE, null);
            throw new PermanentFailure(
                "The replica did not catch up with the primary within "
                    + CATCH_UP_TIMEOUT.toSeconds()
                    + " s; the primary was kept.");
          }
          Thread.sleep(50);
        }
        command(target, task.id() + ":promote", CommandType.PROMOTE, null);
        sets.setPrimary(set.id(), target);
        sets.putMember(target, set.id(), null);
        endpoints.retarget(set.id());
        event(
            set,
            "switchover",
            old,
            target,
            "writes stopped for "
                + Duration.between(started, Instant.now()).toMillis()
                + " ms; nothing acknowledged was lost");
      }
      ReplicaSet now = sets.findSet(set.id()).orElseThrow();
      List<String> others = new ArrayList<>();
      others.add(old);
      for (ReplicaMember m : sets.members(set.id())) {
        if (!m.instanceId().equals(target) && !m.instanceId().equals(old)) {
          others.add(m.instanceId());
        }
      }
      for (String member : others) {
        if (instances.find(member).isPresent()) {
          repoint(now, member, target, task.id());
        }
      }
      clearTasks(now, TaskStatus.PROMOTING);
    }

    @Override
    public void giveUp(Task task, String reason) {
      // A replica that did not catch up left the old primary in charge: no error, only the fault.
      failMembers(
          task,
          TaskStatus.PROMOTING,
          reason.contains("the primary was kept") ? TaskStatus.NONE : TaskStatus.PROMOTION_ERROR,
          "Promotion failed: " + reason);
    }
  }

  /**
   * The primary stopped answering (eject, or automatic failover): fence it for good by stopping its
   * processes, promote the most advanced replica within the lag limit, re-point the others, and let
   * the old primary rejoin as a replica when it can.
   */
  final class Failover implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.FAILOVER;
    }

    @Override
    public void run(Task task) throws Exception {
      ReplicationService.TopologyPayload payload = topology(task);
      ReplicaSet set = sets.findSet(payload.setId()).orElseThrow();
      String old = payload.oldPrimary();
      Instant started = Instant.now();
      if (set.primaryId().equals(old)) {
        // Whatever still runs of the old primary must never take a write again.
        sets.setNeedsRejoin(old, true);
        agents.cancelAll(old);
        compute.stop(old);
        Long oldProgress = sets.findMember(old).map(ReplicaMember::progress).orElse(null);
        List<PromotionChoice.Candidate> candidates = new ArrayList<>();
        for (ReplicaMember m : sets.members(set.id())) {
          if (m.instanceId().equals(old) || instances.find(m.instanceId()).isEmpty()) {
            continue;
          }
          Double lastLag = m.lagSeconds();
          status(m.instanceId(), STATUS_TIMEOUT)
              .ifPresent(
                  s ->
                      candidates.add(
                          new PromotionChoice.Candidate(
                              m.instanceId(), s.progress(), larger(lastLag, s.lagSeconds()))));
        }
        PromotionChoice.Candidate best =
            PromotionChoice.best(candidates, set.maxLagSeconds())
                .orElseThrow(
                    () ->
                        new IllegalStateException(
                            "no replica answered within the lag limit of "
                                + set.maxLagSeconds()
                                + " s; retrying"));
        command(best.instanceId(), task.id() + ":promote", CommandType.PROMOTE, null);
        sets.setPrimary(set.id(), best.instanceId());
        sets.putMember(best.instanceId(), set.id(), null);
        endpoints.retarget(set.id());
        String behind =
            oldProgress == null
                ? "the old primary's last position is unknown"
                : "the old primary last reported progress "
                    + oldProgress
                    + ", the new one had "
                    + best.progress()
                    + " (a gap means acknowledged changes that did not reach it)";
        event(
            set,
            payload.reason().equals("auto_failover") ? "failover" : "eject",
            old,
            best.instanceId(),
            "promoted in "
                + Duration.between(started, Instant.now()).toMillis()
                + " ms; "
                + behind);
      }
      ReplicaSet now = sets.findSet(set.id()).orElseThrow();
      for (ReplicaMember m : sets.members(set.id())) {
        if (m.instanceId().equals(now.primaryId()) || m.instanceId().equals(old)) {
          continue;
        }
        if (instances.find(m.instanceId()).isPresent()) {
          repoint(now, m.instanceId(), now.primaryId(), task.id());
        }
      }
      sets.putMember(old, set.id(), now.primaryId());
      clearTasks(now, TaskStatus.EJECTING);
      tasks.submit(
          Task.create(
              UUID.randomUUID().toString(),
              TaskType.REJOIN,
              old,
              json.writeValueAsString(
                  new ReplicationService.TopologyPayload(set.id(), old, "rejoin"))));
    }

    @Override
    public void giveUp(Task task, String reason) {
      failMembers(
          task, TaskStatus.EJECTING, TaskStatus.EJECTION_ERROR, "Failover failed: " + reason);
    }
  }

  /**
   * A former primary comes back as a replica of the current one. Its agent is started with a FENCE
   * already queued, then the engine is re-pointed (PostgreSQL rewinds its diverged history).
   * Retried for a day: the old primary's machine may take that long to return.
   */
  final class Rejoin implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.REJOIN;
    }

    @Override
    public void run(Task task) throws Exception {
      ReplicationService.TopologyPayload payload = topology(task);
      Optional<ReplicaMember> member = sets.findMember(task.instanceId());
      Optional<Instance> instance = instances.find(task.instanceId());
      if (member.isEmpty() || !member.get().needsRejoin() || instance.isEmpty()) {
        return;
      }
      ReplicaSet set = sets.findSet(payload.setId()).orElseThrow();
      agents.send(instance.get().id(), task.id() + ":fence", CommandType.FENCE, null);
      placement.place(instance.get());
      CommandResult fenced = agents.await(task.id() + ":fence", COMMAND_TIMEOUT);
      if (!fenced.ok()) {
        throw new IllegalStateException("the old primary could not be fenced: " + fenced.error());
      }
      repoint(set, instance.get().id(), set.primaryId(), task.id());
      String how = "follows the primary";
      if (!follows(instance.get().id(), REJOIN_LINK_TIMEOUT)) {
        // Its history diverged past what the engine can rewind (for example MariaDB transactions
        // that never reached a replica): rebuilt from a seed of the primary, like a new replica.
        Instance primary = instances.find(set.primaryId()).orElseThrow();
        fill(task, set, primary, instance.get(), task.id() + ":rb");
        sets.putMember(instance.get().id(), set.id(), primary.id());
        if (!follows(instance.get().id(), REJOIN_LINK_TIMEOUT)) {
          throw new IllegalStateException("the rebuilt former primary does not follow the primary");
        }
        how = "was rebuilt from a seed of the primary (its history had diverged) and follows it";
      }
      sets.setNeedsRejoin(instance.get().id(), false);
      event(set, "rejoin", null, set.primaryId(), instance.get().id() + " " + how);
    }

    @Override
    public void giveUp(Task task, String reason) {
      instances.setFault(
          task.instanceId(),
          TaskStatus.NONE,
          "The former primary could not rejoin as a replica: "
              + reason
              + " Detach it or delete it.");
    }
  }

  /** A replica becomes a standalone instance; its source forgets it. */
  final class Detach implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.DETACH_REPLICA;
    }

    @Override
    public void run(Task task) throws Exception {
      ReplicationService.TopologyPayload payload = topology(task);
      String replicaId = task.instanceId();
      if (instances.find(replicaId).map(i -> i.task() != TaskStatus.DETACHING).orElse(true)) {
        return;
      }
      command(replicaId, task.id() + ":promote", CommandType.PROMOTE, null);
      release(payload.oldPrimary(), replicaId, task.id() + ":release");
      sets.removeMember(replicaId);
      sets.findSet(payload.setId())
          .ifPresent(
              set -> {
                event(set, "detach", null, null, replicaId + " is a standalone instance");
                dissolveIfAlone(set);
              });
      instances.setFault(replicaId, TaskStatus.NONE, null);
    }

    @Override
    public void giveUp(Task task, String reason) {
      instances.setFault(task.instanceId(), TaskStatus.NONE, "Detach failed: " + reason);
    }
  }

  /**
   * Best effort: the source forgets the replica (PostgreSQL drops its slot, which would otherwise
   * keep WAL forever). A source that does not answer is told nothing; its slots of replicas that no
   * longer exist are dropped when it is re-pointed.
   */
  private void release(String sourceId, String replicaId, String commandId) {
    if (instances.find(sourceId).isEmpty()) {
      return;
    }
    agents.send(
        sourceId,
        commandId,
        CommandType.RELEASE_REPLICA,
        new SourceRequest(null, replicaId, false));
    try {
      CommandResult result = agents.await(commandId, STATUS_TIMEOUT.multipliedBy(3));
      if (!result.ok()) {
        log.warn(
            "event=replica_release_failed source={} replica={} reason=\"{}\"",
            sourceId,
            replicaId,
            result.error());
      }
    } catch (TimeoutException e) {
      agents.cancel(commandId);
      log.warn(
          "event=replica_release_skipped source={} replica={} reason=\"source did not answer\"",
          sourceId,
          replicaId);
    }
  }

  /** A set whose last replica left is no set: the primary is a plain instance again. */
  void dissolveIfAlone(ReplicaSet set) {
    if (sets.members(set.id()).size() <= 1) {
      endpoints.close(set.id());
      sets.deleteSet(set.id());
      log.info("event=replica_set_dissolved set={}", set.id());
    }
  }

  /** A deleted member leaves its set; its source (if any) forgets it. Never throws. */
  public void forget(String instanceId) {
    try {
      Optional<ReplicaMember> member = sets.findMember(instanceId);
      if (member.isEmpty()) {
        return;
      }
      if (member.get().replicaOf() != null) {
        release(member.get().replicaOf(), instanceId, "release:" + instanceId);
      }
      sets.removeMember(instanceId);
      sets.findSet(member.get().setId()).ifPresent(this::dissolveIfAlone);
    } catch (RuntimeException e) {
      log.warn("event=replica_forget_failed instance={} reason=\"{}\"", instanceId, e.getMessage());
    }
  }
}

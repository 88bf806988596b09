package dev.coffer.server.replication;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.backups.BackupVault;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.instances.ServiceStatus;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that changes replication sets: checks Trove's gates for replica create, promote,
 * eject and detach, marks the instances' tasks and submits the durable task that does the work. The
 * engine's syntax stays in the agents; this class only knows roles and a comparable progress.
 */
public final class ReplicationService {
  private static final Logger log = LoggerFactory.getLogger(ReplicationService.class);

  /** The engines' reserved replication account. */
  static final String REPLICATION_USER = "os_repl";

  static final int DEFAULT_FAILOVER_AFTER_SECONDS = 5;
  static final int DEFAULT_MAX_LAG_SECONDS = 30;
  private static final int MAX_REPLICA_COUNT = 5;

  private final ReplicationRepository sets;
  private final InstanceRepository instances;
  private final InstanceService service;
  private final TaskRunner tasks;
  private final BackupVault vault;
  private final ObjectMapper json;
  private final PrimaryEndpoints endpoints;

  public ReplicationService(
      ReplicationRepository sets,
      InstanceRepository instances,
      InstanceService service,
      TaskRunner tasks,
      BackupVault vault,
      ObjectMapper json,
      PrimaryEndpoints endpoints) {
    this.sets = sets;
    this.instances = instances;
    this.service = service;
    this.tasks = tasks;
    this.vault = vault;
    this.json = json;
    this.endpoints = endpoints;
  }

  /** What a replica create task carries. */
  public record CreatePayload(String setId, String sourceId) {}

  /** What a promote, eject or detach task carries. */
  public record TopologyPayload(String setId, String oldPrimary, String reason) {}

  /**
   * Trove's replica create: {@code replica_of} (with optional {@code replica_count}); flavor,
   * volume and datastore come from the source. Native extension: {@code replication: {synchronous,
   * auto_failover}} chooses the set's policy with its first replica.
   */
  public synchronized Instance createReplicas(Principal principal, Fields body) {
    for (String inherited : List.of("flavorRef", "volume", "datastore", "locality")) {
      if (body.has(inherited) && !body.isNull(inherited)) {
        throw new ApiException.BadRequest(
            "Cannot specify " + inherited + " when creating replicas.");
      }
    }
    if (!body.objects("databases", 100).isEmpty() || !body.objects("users", 100).isEmpty()) {
      throw new ApiException.BadRequest(
          "Cannot specify databases or users when creating replicas; they come from the source.");
    }
    if (body.has("restorePoint") && !body.isNull("restorePoint")) {
      throw new ApiException.BadRequest("Cannot specify restorePoint when creating replicas.");
    }
    String name = body.name("name");
    String sourceId = body.string("replica_of", 64);
    int count = body.optionalInteger("replica_count", 1, MAX_REPLICA_COUNT).orElse(1);
    Instance source =
        instances
            .find(principal.projectId(), sourceId)
            .orElseThrow(
                () -> new ApiException.NotFound("Resource " + sourceId + " cannot be found."));
    Optional<ReplicaMember> sourceMember = sets.findMember(source.id());
    if (sourceMember.isPresent() && sourceMember.get().replicaOf() != null) {
      throw new ApiException.Unauthorized("Cannot create a replica of a replica " + source.id());
    }
    DatastoreDescriptor descriptor = service.descriptorOf(source);
    if (!descriptor.supports(Capability.REPLICATION)) {
      throw ApiException.notSupported(Capability.REPLICATION, descriptor.name());
    }
    service.requireActionable(source, service.backupRunning(source));
    Optional<Fields> policy = body.optionalObject("replication");
    boolean synchronous = policy.flatMap(p -> p.optionalBoolean("synchronous")).orElse(false);
    boolean autoFailover = policy.flatMap(p -> p.optionalBoolean("auto_failover")).orElse(false);
    boolean isPublic = false;
    List<String> cidrs = List.of();
    Optional<Fields> access = body.optionalObject("access");
    if (access.isPresent()) {
      isPublic = access.get().optionalBoolean("is_public").orElse(false);
    }
    ReplicaSet set =
        sets.findMember(source.id())
            .flatMap(m -> sets.findSet(m.setId()))
            .orElseGet(() -> newSet(source, synchronous, autoFailover));
    if (policy.isPresent() && policy.get().has("synchronous") && set.synchronous() != synchronous) {
      throw Fields.invalid(
          policy.get().at("synchronous"),
          "is chosen with the set's first replica; this set is "
              + (set.synchronous() ? "synchronous" : "asynchronous"));
    }
    Instance first = null;
    for (int n = 1; n <= count; n++) {
      String replicaName = count == 1 || n == 1 ? name : name + "-" + n;
      Instance replica =
          service.create(
              principal,
              new InstanceService.CreateRequest(
                  replicaName,
                  service.flavor(source),
                  source.volumeSize(),
                  service.version(source),
                  new PrepareRequest(List.of(), List.of()),
                  isPublic,
                  cidrs),
              TaskType.CREATE_REPLICA,
              write(new CreatePayload(set.id(), source.id())));
      sets.putMember(replica.id(), set.id(), source.id());
      log.info(
          "event=replica_create_accepted replica={} source={} set={}",
          replica.id(),
          source.id(),
          set.id());
      if (first == null) {
        first = replica;
      }
    }
    return first;
  }

  private ReplicaSet newSet(Instance source, boolean synchronous, boolean autoFailover) {
    ReplicaSet set =
        new ReplicaSet(
            source.id(),
            source.projectId(),
            source.id(),
            vault.newDataKey().wrapped(),
            synchronous,
            autoFailover,
            DEFAULT_FAILOVER_AFTER_SECONDS,
            DEFAULT_MAX_LAG_SECONDS,
            null,
            Instant.now());
    sets.insertSet(set);
    sets.putMember(source.id(), set.id(), null);
    endpoints.open(set.id());
    log.info(
        "event=replica_set_created set={} primary={} synchronous={} auto_failover={}",
        set.id(),
        source.id(),
        synchronous,
        autoFailover);
    return sets.findSet(set.id()).orElseThrow();
  }

  /** Trove's promote_to_replica_source: a planned switchover to this replica, losing nothing. */
  public synchronized void promote(Principal principal, String replicaId) {
    Instance replica = service.get(principal, replicaId);
    ReplicaMember member =
        sets.findMember(replica.id())
            .filter(m -> m.replicaOf() != null)
            .orElseThrow(
                () -> new ApiException.BadRequest("Instance " + replicaId + " is not a replica."));
    ReplicaSet set = sets.findSet(member.setId()).orElseThrow();
    List<Instance> all = requireSetIdle(set);
    service.requireActionable(replica, service.backupRunning(replica));
    Instance primary = instances.find(set.primaryId()).orElseThrow();
    service.requireActionable(primary, false);
    all.forEach(i -> instances.setTask(i.id(), TaskStatus.PROMOTING));
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.SWITCHOVER,
            replica.id(),
            write(new TopologyPayload(set.id(), set.primaryId(), "promote_to_replica_source"))));
    log.info(
        "event=switchover_accepted set={} from={} to={}", set.id(), set.primaryId(), replica.id());
  }

  /**
   * Trove's eject_replica_source, on the primary: only once the primary has stopped answering. The
   * most advanced replica within the lag limit becomes the primary.
   */
  public synchronized void eject(Principal principal, String primaryId) {
    Instance primary = service.get(principal, primaryId);
    ReplicaSet set =
        sets.findMember(primary.id())
            .filter(m -> m.replicaOf() == null)
            .flatMap(m -> sets.findSet(m.setId()))
            .filter(s -> s.primaryId().equals(primary.id()))
            .filter(s -> sets.members(s.id()).size() > 1)
            .orElseThrow(
                () ->
                    new ApiException.BadRequest(
                        "Instance " + primaryId + " is not a replica source."));
    if (isAnswering(primary, set, Instant.now())) {
      throw new ApiException.BadRequest(
          "Replica Source " + primaryId + " cannot be ejected as it has a current heartbeat");
    }
    startFailover(set, "eject_replica_source");
  }

  /**
   * Starts the promotion of the best replica of a primary that stopped answering (eject, or
   * automatic failover). False if the set is busy.
   */
  synchronized boolean startFailover(ReplicaSet set, String reason) {
    List<Instance> all = new ArrayList<>();
    for (ReplicaMember m : sets.members(set.id())) {
      Optional<Instance> i = instances.find(m.instanceId());
      if (i.isEmpty()) {
        continue;
      }
      if (i.get().task() != TaskStatus.NONE) {
        if (reason.equals("eject_replica_source")) {
          InstanceService.requireNoTask(i.get());
        }
        return false;
      }
      all.add(i.get());
    }
    all.forEach(i -> instances.setTask(i.id(), TaskStatus.EJECTING));
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.FAILOVER,
            set.primaryId(),
            write(new TopologyPayload(set.id(), set.primaryId(), reason))));
    log.warn(
        "event=failover_accepted set={} primary={} reason={}", set.id(), set.primaryId(), reason);
    return true;
  }

  /** Trove's detach ({@code PUT /instances/{id}} with {@code replica_of: null}). */
  public synchronized void detach(Principal principal, String replicaId) {
    Instance replica = service.get(principal, replicaId);
    ReplicaMember member =
        sets.findMember(replica.id())
            .filter(m -> m.replicaOf() != null)
            .orElseThrow(
                () -> new ApiException.BadRequest("Instance " + replicaId + " is not a replica."));
    service.requireActionable(replica, service.backupRunning(replica));
    instances.setTask(replica.id(), TaskStatus.DETACHING);
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.DETACH_REPLICA,
            replica.id(),
            write(new TopologyPayload(member.setId(), member.replicaOf(), "detach"))));
    log.info("event=detach_accepted replica={} source={}", replica.id(), member.replicaOf());
  }

  /** Native: change a set's failover policy. */
  public synchronized ReplicaSet setPolicy(Principal principal, String instanceId, Fields policy) {
    ReplicaSet set = setOf(principal, instanceId);
    if (policy.has("synchronous")
        && policy.optionalBoolean("synchronous").orElse(false) != set.synchronous()) {
      throw Fields.invalid(
          policy.at("synchronous"), "is chosen with the set's first replica and cannot change");
    }
    boolean auto = policy.optionalBoolean("auto_failover").orElse(set.autoFailover());
    int after =
        policy
            .optionalInteger("failover_after_seconds", 2, 3600)
            .orElse(set.failoverAfterSeconds());
    int lag = policy.optionalInteger("max_lag_seconds", 0, 86_400).orElse(set.maxLagSeconds());
    sets.setPolicy(set.id(), auto, after, lag);
    log.info(
        "event=replication_policy_set set={} auto_failover={} failover_after_seconds={} max_lag_seconds={}",
        set.id(),
        auto,
        after,
        lag);
    return sets.findSet(set.id()).orElseThrow();
  }

  /** The set the instance belongs to; 404 if none. */
  public ReplicaSet setOf(Principal principal, String instanceId) {
    Instance instance = service.get(principal, instanceId);
    return sets.findMember(instance.id())
        .flatMap(m -> sets.findSet(m.setId()))
        .orElseThrow(
            () ->
                new ApiException.NotFound("Instance " + instanceId + " is in no replication set."));
  }

  /** Trove refuses to delete a source that still has replicas. */
  public void checkDeletable(Instance instance) {
    Optional<ReplicaMember> member = sets.findMember(instance.id());
    if (member.isEmpty() || member.get().replicaOf() != null) {
      return;
    }
    boolean hasReplicas =
        sets.members(member.get().setId()).stream()
            .anyMatch(m -> instance.id().equals(m.replicaOf()));
    if (hasReplicas) {
      throw new ApiException.Forbidden("Detach replicas before deleting replica source.");
    }
  }

  /** Heartbeat intake. */
  public void recordStatus(String instanceId, ReplicationStatus status) {
    sets.recordStatus(instanceId, status, Instant.now());
  }

  public Optional<ReplicaMember> member(String instanceId) {
    return sets.findMember(instanceId);
  }

  public Optional<ReplicaSet> set(String setId) {
    return sets.findSet(setId);
  }

  public List<ReplicaMember> members(String setId) {
    return sets.members(setId);
  }

  public List<ReplicationEvent> events(String setId) {
    return sets.events(setId, 20);
  }

  public Optional<PrimaryEndpoints.Address> endpoint(String setId) {
    return endpoints.address(setId);
  }

  /** Prometheus families: per member of every set, its role, link, lag and progress. */
  public void writeMetrics(StringBuilder out) {
    out.append("# HELP coffer_replication_lag_seconds How far a replica is behind its source.\n")
        .append("# TYPE coffer_replication_lag_seconds gauge\n");
    List<ReplicaMember> all = new ArrayList<>();
    sets.sets().forEach(set -> all.addAll(sets.members(set.id())));
    for (ReplicaMember m : all) {
      if (m.lagSeconds() != null && m.replicaOf() != null) {
        out.append("coffer_replication_lag_seconds")
            .append(labels(m))
            .append(' ')
            .append(m.lagSeconds())
            .append('\n');
      }
    }
    out.append(
            "# HELP coffer_replication_connected Whether a replica's link to its source is up.\n")
        .append("# TYPE coffer_replication_connected gauge\n");
    for (ReplicaMember m : all) {
      if (m.replicaOf() != null) {
        out.append("coffer_replication_connected")
            .append(labels(m))
            .append(Boolean.TRUE.equals(m.connected()) ? " 1\n" : " 0\n");
      }
    }
    out.append("# HELP coffer_replication_primary Whether the member is its set's primary.\n")
        .append("# TYPE coffer_replication_primary gauge\n");
    for (ReplicaMember m : all) {
      out.append("coffer_replication_primary")
          .append(labels(m))
          .append(m.replicaOf() == null ? " 1\n" : " 0\n");
    }
    out.append(
            "# HELP coffer_replication_progress The member's replication position as a number.\n")
        .append("# TYPE coffer_replication_progress gauge\n");
    for (ReplicaMember m : all) {
      if (m.progress() != null) {
        out.append("coffer_replication_progress")
            .append(labels(m))
            .append(' ')
            .append(m.progress())
            .append('\n');
      }
    }
  }

  private static String labels(ReplicaMember m) {
    return "{set=\"" + m.setId() + "\",instance=\"" + m.instanceId() + "\"}";
  }

  /** The replication account of the set; the password travels only inside agent commands. */
  ReplicationCredentials credentials(ReplicaSet set) {
    String key = vault.unwrap(set.wrappedPassword());
    return new ReplicationCredentials(
        REPLICATION_USER, key.replace('+', 'x').replace('/', 'y').replace("=", ""));
  }

  /**
   * Whether the primary's agent and engine still answer: a heartbeat within the set's failover
   * time, and the engine reported running.
   */
  static boolean isAnswering(Instance primary, ReplicaSet set, Instant now) {
    Duration limit = Duration.ofSeconds(set.failoverAfterSeconds());
    Instant last = primary.heartbeatAt();
    boolean heard = last != null && Duration.between(last, now).compareTo(limit) <= 0;
    boolean running =
        primary.service() == ServiceStatus.RUNNING
            || (primary.serviceStatusUpdated() != null
                && Duration.between(primary.serviceStatusUpdated(), now).compareTo(limit) <= 0);
    return heard && running;
  }

  private List<Instance> requireSetIdle(ReplicaSet set) {
    List<Instance> all = new ArrayList<>();
    for (ReplicaMember m : sets.members(set.id())) {
      Instance i = instances.find(m.instanceId()).orElse(null);
      if (i == null) {
        continue;
      }
      InstanceService.requireNoTask(i);
      all.add(i);
    }
    return all;
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

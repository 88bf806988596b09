package dev.coffer.server.instances;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.compute.InstanceLaunch;
import dev.coffer.server.datastores.DatastoreCatalog;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.datastores.VersionState;
import dev.coffer.server.flavors.Flavor;
import dev.coffer.server.flavors.FlavorCatalog;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.quotas.ProjectQuotas;
import dev.coffer.server.quotas.Resource;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that changes instances: validates, checks state gates, and starts tasks. */
public final class InstanceService {
  private static final Logger log = LoggerFactory.getLogger(InstanceService.class);

  private final InstanceRepository instances;
  private final DatastoreCatalog datastores;
  private final FlavorCatalog flavors;
  private final TaskRunner tasks;
  private final Quotas quotas;
  private final ObjectMapper json;
  private final java.util.function.Supplier<java.util.Set<String>> runningBackups;
  private final ComputeDriver compute;
  private final ProjectQuotas projectQuotas;
  private final InstanceExpiry expiry;

  public InstanceService(
      InstanceRepository instances,
      DatastoreCatalog datastores,
      FlavorCatalog flavors,
      TaskRunner tasks,
      Quotas quotas,
      ObjectMapper json,
      java.util.function.Supplier<java.util.Set<String>> runningBackups,
      ComputeDriver compute,
      ProjectQuotas projectQuotas,
      InstanceExpiry expiry) {
    this.instances = instances;
    this.datastores = datastores;
    this.flavors = flavors;
    this.tasks = tasks;
    this.quotas = quotas;
    this.json = json;
    this.runningBackups = runningBackups;
    this.compute = compute;
    this.projectQuotas = projectQuotas;
    this.expiry = expiry;
  }

  /** A validated create request. */
  public record CreateRequest(
      String name,
      Flavor flavor,
      int volumeSize,
      DatastoreVersion version,
      PrepareRequest initial,
      boolean isPublic,
      List<String> allowedCidrs) {}

  public Quotas quotas() {
    return quotas;
  }

  public InstanceExpiry expiry() {
    return expiry;
  }

  public DatastoreCatalog datastores() {
    return datastores;
  }

  public FlavorCatalog flavors() {
    return flavors;
  }

  /** Accepts a create: the row and its durable task exist when this returns. */
  public Instance create(Principal principal, CreateRequest request) {
    return create(principal, request, Optional.empty());
  }

  /**
   * Accepts a create that expires after {@code expiresInHours} (native); instances of evaluation
   * versions always expire (see {@link InstanceExpiry}).
   */
  public synchronized Instance create(
      Principal principal, CreateRequest request, Optional<Integer> expiresInHours) {
    return create(
        principal, request, TaskType.CREATE_INSTANCE, write(request.initial()), expiresInHours);
  }

  /**
   * Accepts a create whose provisioning is done by another task type (for example a replica's),
   * with that task's payload.
   */
  public synchronized Instance create(
      Principal principal, CreateRequest request, TaskType taskType, String payload) {
    if (request.version().state() == VersionState.EVALUATION) {
      // A replica's life follows its source's, which an expiry would cut short unannounced.
      throw new ApiException.BadRequest(
          "Validation error: datastore_version '"
              + request.version().name()
              + "' is in evaluation: only standalone instances (which expire) can be created.");
    }
    return create(principal, request, taskType, payload, Optional.empty());
  }

  private Instance create(
      Principal principal,
      CreateRequest request,
      TaskType taskType,
      String payload,
      Optional<Integer> expiresInHours) {
    requireCreatable(principal, List.of(request));
    Instant now = Instant.now();
    Optional<Instant> expiresAt = expiry.expiryFor(request.version(), expiresInHours, now);
    Instance created =
        projectQuotas.withinQuota(
            principal.projectId(),
            demand(List.of(request)),
            () -> {
              Instance inserted = insert(principal, request, now);
              expiry.record(inserted, expiresAt);
              return inserted;
            });
    tasks.submit(Task.create(UUID.randomUUID().toString(), taskType, created.id(), payload));
    logAccepted(principal, request, created);
    return created;
  }

  /**
   * Accepts the members of a new or growing cluster, all or none: they are checked like creates
   * (quotas for all of them together), inserted with the cluster's id and BUILDING, and get no task
   * of their own: the cluster's task provisions them. Their creation times follow the order of
   * {@code requests}, which is the members' order in the cluster.
   */
  public synchronized List<Instance> createClusterMembers(
      Principal principal, List<CreateRequest> requests, String clusterId, String type) {
    for (CreateRequest request : requests) {
      if (request.version().state() == VersionState.EVALUATION) {
        throw new ApiException.BadRequest(
            "Validation error: datastore_version '"
                + request.version().name()
                + "' is in evaluation: clusters cannot be created of it.");
      }
    }
    requireCreatable(principal, requests);
    Instant base = Instant.now();
    Map<Resource, Integer> demand = demand(requests);
    if (instances.clusterMembers(clusterId).isEmpty()) {
      // A new cluster counts too: its members carry its id before its own row exists.
      demand.put(Resource.CLUSTERS, 1);
    }
    return projectQuotas.withinQuota(
        principal.projectId(),
        demand,
        () -> {
          List<Instance> created = new java.util.ArrayList<>();
          for (int i = 0; i < requests.size(); i++) {
            Instance member = insert(principal, requests.get(i), base.plusMillis(i));
            instances.setCluster(member.id(), clusterId, type);
            created.add(member);
            logAccepted(principal, requests.get(i), member);
          }
          return created;
        });
  }

  private static Map<Resource, Integer> demand(List<CreateRequest> requests) {
    Map<Resource, Integer> demand = new EnumMap<>(Resource.class);
    demand.put(Resource.INSTANCES, requests.size());
    demand.put(Resource.VOLUMES, requests.stream().mapToInt(CreateRequest::volumeSize).sum());
    return demand;
  }

  private void requireCreatable(Principal principal, List<CreateRequest> requests) {
    for (CreateRequest request : requests) {
      requireEnforceable(request.allowedCidrs());
      if (request.volumeSize() > quotas.maxVolumeSizeGb()) {
        throw new ApiException.OverLimit(
            "Volume 'size' cannot exceed maximum of "
                + quotas.maxVolumeSizeGb()
                + " GB, "
                + request.volumeSize()
                + " cannot be accepted.");
      }
    }
    List<Instance> existing =
        instances.list(principal.projectId(), Integer.MAX_VALUE, Optional.empty());
    java.util.Set<String> names = new java.util.HashSet<>();
    for (CreateRequest request : requests) {
      boolean duplicate =
          !names.add(request.name())
              || existing.stream().anyMatch(i -> i.name().equals(request.name()));
      if (duplicate) {
        throw new ApiException.Conflict(
            "An instance with the name \"" + request.name() + "\" already exists in this project.");
      }
    }
  }

  private Instance insert(Principal principal, CreateRequest request, Instant now) {
    return instances.insert(
        new Instance(
            UUID.randomUUID().toString(),
            principal.projectId(),
            request.name(),
            request.version().id(),
            request.flavor().id(),
            request.volumeSize(),
            null,
            null,
            null,
            request.isPublic(),
            request.allowedCidrs(),
            TaskStatus.BUILDING,
            ServiceStatus.NEW,
            now,
            null,
            null,
            null,
            null,
            now,
            now,
            null));
  }

  private static void logAccepted(Principal principal, CreateRequest request, Instance created) {
    log.info(
        "event=instance_create_accepted instance={} project={} datastore={} version={} flavor={} volume_gb={}",
        created.id(),
        principal.projectId(),
        request.version().datastoreName(),
        request.version().name(),
        request.flavor().id(),
        request.volumeSize());
  }

  /** The cluster the instance is a member of, if any. */
  public Optional<ClusterLink> clusterOf(Instance instance) {
    return instances.clusterOf(instance.id());
  }

  /** The other live members of the instance's cluster; empty outside a cluster. */
  public List<Instance> clusterPeers(Instance instance) {
    return instances
        .clusterOf(instance.id())
        .map(
            link ->
                instances.clusterMembers(link.clusterId()).stream()
                    .filter(m -> !m.id().equals(instance.id()))
                    .toList())
        .orElse(List.of());
  }

  /**
   * Repeats a user, database or root call made on a cluster's member on its other members: some
   * engines keep users per node (Redis' ACLs), others replicate them, and then the repeat finds
   * them there already ("already exists", "not found"), which counts as done. Members still being
   * built are skipped: the engine copies the users to new members when it brings them in.
   */
  public void repeatOnClusterPeers(Instance instance, java.util.function.Consumer<Instance> call) {
    for (Instance peer : clusterPeers(instance)) {
      if (peer.task() == TaskStatus.BUILDING || peer.task() == TaskStatus.DELETING) {
        continue;
      }
      try {
        call.accept(peer);
      } catch (ApiException.Conflict | ApiException.NotFound alreadyDone) {
        log.debug("event=cluster_peer_already_done instance={}", peer.id());
      }
    }
  }

  /** Deletes a member for its cluster's delete or shrink (the API refuses a member's delete). */
  public void deleteClusterMember(Instance member) {
    if (member.task() == TaskStatus.DELETING) {
      return;
    }
    instances.setTask(member.id(), TaskStatus.DELETING);
    tasks.submit(
        Task.create(UUID.randomUUID().toString(), TaskType.DELETE_INSTANCE, member.id(), null));
    log.info("event=cluster_member_delete_accepted instance={}", member.id());
  }

  public Instance get(Principal principal, String id) {
    return instances
        .find(principal.projectId(), id)
        .orElseThrow(() -> new ApiException.NotFound("Instance " + id + " could not be found."));
  }

  public List<Instance> list(Principal principal, int limit, Optional<String> marker) {
    marker.ifPresent(m -> get(principal, m));
    return instances.list(principal.projectId(), limit, marker);
  }

  /** Trove's instance list: cluster members only with {@code include_clustered}. */
  public List<Instance> list(
      Principal principal, int limit, Optional<String> marker, boolean includeClustered) {
    marker.ifPresent(m -> get(principal, m));
    return instances.list(principal.projectId(), limit, marker, includeClustered);
  }

  /** Every project's live instances, oldest first (Trove's mgmt instance list; admins only). */
  public List<Instance> listAllProjects(Principal admin) {
    if (!admin.isAdmin()) {
      throw new ApiException.Forbidden("This operation needs the admin role.");
    }
    return instances.live().stream()
        .sorted(java.util.Comparator.comparing(Instance::createdAt))
        .toList();
  }

  public void rename(Principal principal, String id, String name) {
    Instance instance = get(principal, id);
    boolean duplicate =
        instances.list(principal.projectId(), Integer.MAX_VALUE, Optional.empty()).stream()
            .anyMatch(i -> i.name().equals(name) && !i.id().equals(instance.id()));
    if (duplicate) {
      throw new ApiException.Conflict(
          "An instance with the name \"" + name + "\" already exists in this project.");
    }
    instances.rename(instance.id(), name);
    log.info("event=instance_renamed instance={} project={}", id, principal.projectId());
  }

  public void setAccess(Principal principal, String id, boolean isPublic, List<String> cidrs) {
    Instance instance = get(principal, id);
    requireEnforceable(cidrs);
    instances.setAccess(instance.id(), isPublic, cidrs);
    compute.applyAccess(launch(instances.find(instance.id()).orElseThrow()));
    log.info("event=instance_access_updated instance={} public={} cidrs={}", id, isPublic, cidrs);
  }

  /** Refuses a restriction this compute cannot enforce rather than pretend to. */
  public void requireEnforceable(List<String> cidrs) {
    if (!cidrs.isEmpty() && !compute.enforcesAccess()) {
      throw new ApiException.BadRequest(
          "Validation error: instance['access']['allowed_cidrs'] cannot be enforced by this"
              + " Coffer: the local driver needs the nft tool (apt-get install nftables) and root.");
    }
  }

  /** Native, like RDS: a protected instance refuses DELETE until the flag is off. */
  public void setDeletionProtection(Principal principal, String id, boolean protect) {
    Instance instance = get(principal, id);
    instances.setDeletionProtection(instance.id(), protect);
    log.info("event=instance_deletion_protection instance={} enabled={}", instance.id(), protect);
  }

  public boolean hasDeletionProtection(Instance instance) {
    return instances.hasDeletionProtection(instance.id());
  }

  /**
   * Trove's admin reset_status: an instance stuck in a task or an error task goes back to no task
   * and its fault is cleared; its engine's heartbeats say what it is from then on.
   */
  public void resetStatus(Principal principal, String id) {
    if (!principal.isAdmin()) {
      throw new ApiException.Forbidden(
          "Policy doesn't allow instance:reset_status to be performed.");
    }
    Instance instance = get(principal, id);
    instances.setFault(instance.id(), TaskStatus.NONE, null);
    log.warn(
        "event=instance_status_reset instance={} was={} by={}",
        instance.id(),
        instance.task(),
        principal.userName());
  }

  public void delete(Principal principal, String id) {
    Instance instance = get(principal, id);
    if (instances.hasDeletionProtection(instance.id())) {
      throw new ApiException.Forbidden(
          "Instance "
              + id
              + " has deletion protection; turn it off first with PUT /instances/"
              + id
              + " {\"instance\": {\"deletion_protection\": false}}.");
    }
    if (instance.task() == TaskStatus.BUILDING) {
      throw new ApiException.UnprocessableEntity(
          "Instance " + id + " is not ready. (Status is BUILD).");
    }
    if (instance.task() == TaskStatus.DELETING) {
      return;
    }
    instances.setTask(instance.id(), TaskStatus.DELETING);
    tasks.submit(
        Task.create(UUID.randomUUID().toString(), TaskType.DELETE_INSTANCE, instance.id(), null));
    log.info("event=instance_delete_accepted instance={} project={}", id, principal.projectId());
  }

  /** Whether a backup of the instance is running (the instance then shows BACKUP). */
  public boolean backupRunning(Instance instance) {
    return runningBackups.get().contains(instance.id());
  }

  public java.util.Set<String> instancesWithRunningBackups() {
    return runningBackups.get();
  }

  public void restart(Principal principal, String id) {
    Instance instance = get(principal, id);
    requireActionable(instance, backupRunning(instance));
    instances.setTask(instance.id(), TaskStatus.REBOOTING);
    tasks.submit(
        Task.create(UUID.randomUUID().toString(), TaskType.RESTART_INSTANCE, instance.id(), null));
    log.info("event=instance_restart_accepted instance={} project={}", id, principal.projectId());
  }

  /**
   * Trove's volume resize: grow only, within the volume limit and the project's quota; the volume
   * grows online and the instance shows RESIZE meanwhile.
   */
  public synchronized void resizeVolume(Principal principal, String id, int size) {
    Instance instance = get(principal, id);
    if (size <= instance.volumeSize()) {
      throw new ApiException.BadRequest(
          "The new volume 'size' must be larger than the current volume size of '"
              + instance.volumeSize()
              + "'.");
    }
    if (size > quotas.maxVolumeSizeGb()) {
      throw new ApiException.OverLimit(
          "Volume 'size' cannot exceed maximum of "
              + quotas.maxVolumeSizeGb()
              + " GB, "
              + size
              + " cannot be accepted.");
    }
    requireActionable(instance, backupRunning(instance));
    // Checked, not reserved: the task records the larger size when the volume has grown. Creates
    // and resizes on this control plane take turns on this service's lock meanwhile.
    projectQuotas.requireWithin(
        principal.projectId(), Map.of(Resource.VOLUMES, size - instance.volumeSize()));
    instances.setTask(instance.id(), TaskStatus.RESIZING);
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.RESIZE_VOLUME,
            instance.id(),
            Integer.toString(size)));
    log.info(
        "event=instance_resize_accepted instance={} volume_gb={} new_volume_gb={}",
        id,
        instance.volumeSize(),
        size);
  }

  /**
   * Trove's flavor resize: the engine restarts with the memory settings of {@code flavor}; a
   * failure to start on it returns the instance to its old flavor (see {@link
   * InstanceTaskHandlers.ResizeFlavor}).
   */
  public synchronized void resizeFlavor(Principal principal, String id, Flavor flavor) {
    Instance instance = get(principal, id);
    if (flavor.id().equals(instance.flavorId())) {
      throw new ApiException.BadRequest(
          "The new flavor id must be different than the current flavor id of '"
              + instance.flavorId()
              + "'.");
    }
    requireActionable(instance, backupRunning(instance));
    instances.setTask(instance.id(), TaskStatus.RESIZING);
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.RESIZE_FLAVOR,
            instance.id(),
            write(new FlavorChange(instance.flavorId(), flavor.id()))));
    log.info(
        "event=instance_resize_accepted instance={} flavor={} new_flavor={}",
        id,
        instance.flavorId(),
        flavor.id());
  }

  /** First half of Trove's gate for actions: no task running (422 naming the task). */
  public static void requireNoTask(Instance instance) {
    if (instance.task() != TaskStatus.NONE) {
      throw new ApiException.UnprocessableEntity(
          "Instance "
              + instance.id()
              + " is not currently available for an action to be performed (task status was "
              + instance.task()
              + ").");
    }
  }

  /**
   * Trove's gate for actions: no task running, no backup running, and an engine that is up or
   * merely stopped.
   */
  public void requireActionable(Instance instance, boolean backupRunning) {
    requireNoTask(instance);
    String status = StatusRules.status(instance, Instant.now(), backupRunning);
    if (!status.equals("ACTIVE") && !status.equals("SHUTDOWN")) {
      throw new ApiException.UnprocessableEntity(
          "Instance "
              + instance.id()
              + " is not currently available for an action to be performed (instance status was "
              + status
              + ").");
    }
  }

  /**
   * The instance, if it may take a user, database or root call: found (404), its datastore has the
   * capability (400), and it is running with no task (422).
   */
  public GuestTarget guestTarget(Principal principal, String id, Capability capability) {
    Instance instance = get(principal, id);
    DatastoreDescriptor descriptor = descriptorOf(instance);
    if (!descriptor.supports(capability)) {
      throw ApiException.notSupported(capability, descriptor.name());
    }
    return new GuestTarget(instance, descriptor);
  }

  /** Second half of {@link #guestTarget}: called after the request body has been validated. */
  public void requireGuestReady(Instance instance) {
    Instance fresh = instances.find(instance.id()).orElse(instance);
    if (!StatusRules.acceptsGuestCalls(fresh, Instant.now())) {
      throw new ApiException.UnprocessableEntity(
          "Instance "
              + instance.id()
              + " is not ready, status: "
              + StatusRules.status(fresh, Instant.now())
              + ".");
    }
  }

  public DatastoreDescriptor descriptorOf(Instance instance) {
    return datastores.descriptor(version(instance).datastoreName());
  }

  public DatastoreVersion version(Instance instance) {
    return datastores.version(instance.datastoreVersionId(), true);
  }

  public Flavor flavor(Instance instance) {
    return flavors.byId(instance.flavorId()).orElseThrow();
  }

  public InstanceLaunch launch(Instance instance) {
    DatastoreVersion version = version(instance);
    DatastoreDescriptor descriptor = datastores.descriptor(version.datastoreName());
    return new InstanceLaunch(
        instance.id(),
        version.datastoreName(),
        version.name(),
        version.binaries(),
        instance.address(),
        descriptor.defaultPort(),
        flavor(instance).ramMb(),
        instance.volumeSize(),
        instance.allowedCidrs());
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

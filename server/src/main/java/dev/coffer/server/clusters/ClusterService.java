package dev.coffer.server.clusters;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.backups.BackupVault;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.flavors.Flavor;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that changes clusters: validates Trove's cluster requests, checks the cluster's
 * task gate, creates and deletes member instances, and starts the durable cluster tasks (see {@link
 * ClusterTaskHandlers}). It knows no engine's syntax: what a cluster is for an engine is the
 * agent's business ({@code ClusterEngine}).
 */
public final class ClusterService {
  private static final Logger log = LoggerFactory.getLogger(ClusterService.class);

  /** Trove's member type; every engine's members are plain members so far. */
  static final String MEMBER = "member";

  static final int MAX_MEMBERS = 32;

  /**
   * The fewest members a cluster of the datastore may have (Redis Cluster: 3 masters; Galera: 3 for
   * a quorum; Cassandra: 1). Datastores not listed: 1. Checked at create and at shrink.
   */
  static final Map<String, Integer> MINIMUM_MEMBERS =
      Map.of("redis", 3, "mariadb", 3, "cassandra", 1, "mongodb", 3);

  private final ClusterRepository clusters;
  private final InstanceRepository instances;
  private final InstanceService service;
  private final TaskRunner tasks;
  private final BackupVault vault;
  private final ObjectMapper json;

  public ClusterService(
      ClusterRepository clusters,
      InstanceRepository instances,
      InstanceService service,
      TaskRunner tasks,
      BackupVault vault,
      ObjectMapper json) {
    this.clusters = clusters;
    this.instances = instances;
    this.service = service;
    this.tasks = tasks;
    this.vault = vault;
    this.json = json;
  }

  /** What a grow or shrink task carries: the members added or leaving. */
  public record MembersPayload(List<String> instanceIds) {}

  // ---- reading ------------------------------------------------------------------------------

  public Cluster get(Principal principal, String id) {
    return clusters
        .find(principal.projectId(), id)
        .orElseThrow(() -> new ApiException.NotFound("Cluster '" + id + "' cannot be found."));
  }

  public List<Cluster> list(Principal principal) {
    return clusters.list(principal.projectId());
  }

  /** The cluster's live members, in the cluster's order (oldest first). */
  public List<Instance> members(Cluster cluster) {
    return instances.clusterMembers(cluster.id());
  }

  public DatastoreVersion version(Cluster cluster) {
    return service.datastores().version(cluster.datastoreVersionId(), true);
  }

  public InstanceService instances() {
    return service;
  }

  // ---- create -------------------------------------------------------------------------------

  /**
   * Trove's cluster create: {@code name}, {@code datastore}, {@code instances} (each {@code
   * flavorRef} and {@code volume.size}, all alike), and optionally {@code extended_properties}, the
   * engine's options of the cluster.
   */
  public Cluster create(Principal principal, Fields body) {
    for (String unsupported : List.of("configuration", "locality", "modules")) {
      if (body.has(unsupported) && !body.isNull(unsupported)) {
        throw Fields.invalid(body.at(unsupported), "is not supported for clusters by this Coffer");
      }
    }
    String name = body.name("name");
    Optional<Fields> datastore = body.optionalObject("datastore");
    DatastoreVersion version =
        service
            .datastores()
            .forNewInstance(
                principal.projectId(),
                datastore.flatMap(d -> d.optionalString("type", 64)),
                datastore.flatMap(d -> d.optionalString("version", 64)));
    DatastoreDescriptor descriptor = service.datastores().descriptor(version.datastoreName());
    if (!descriptor.supports(Capability.CLUSTERS)) {
      throw new ApiException.BadRequest(
          "Clusters not supported for " + version.datastoreName() + "-" + version.name() + ".");
    }
    List<Fields> nodes = body.objects("instances", MAX_MEMBERS);
    if (!body.has("instances")) {
      throw Fields.invalid(body.at("instances"), "is a required property");
    }
    int minimum = minimumMembers(version);
    if (nodes.size() < minimum) {
      throw new ApiException.BadRequest(
          "The number of instances for your initial cluster must be at least " + minimum + ".");
    }
    List<Node> requested = nodes(nodes);
    Map<String, String> options = options(body);
    String id = UUID.randomUUID().toString();
    List<InstanceService.CreateRequest> requests = new ArrayList<>();
    for (int i = 0; i < requested.size(); i++) {
      Node node = requested.get(i);
      requests.add(request(node.name().orElse(name + "-member-" + (i + 1)), node, version));
    }
    // Members first (all or none, quotas checked together), then the cluster and its task.
    List<Instance> members = service.createClusterMembers(principal, requests, id, MEMBER);
    Instant now = Instant.now();
    Cluster cluster =
        new Cluster(
            id,
            principal.projectId(),
            name,
            version.id(),
            ClusterTask.BUILDING_INITIAL,
            options,
            vault.newDataKey().wrapped(),
            null,
            now,
            now);
    clusters.insert(cluster);
    tasks.submit(Task.create(UUID.randomUUID().toString(), TaskType.CREATE_CLUSTER, id, null));
    log.info(
        "event=cluster_create_accepted cluster={} project={} datastore={} version={} members={}",
        id,
        principal.projectId(),
        version.datastoreName(),
        version.name(),
        members.size());
    return cluster;
  }

  private record Node(Flavor flavor, int volumeSize, Optional<String> name) {}

  /** Each node's flavor and volume: known, and the same for all of them (Trove's rule). */
  private List<Node> nodes(List<Fields> items) {
    List<Node> nodes = new ArrayList<>();
    for (Fields item : items) {
      String flavorRef =
          item.optionalReference("flavorRef")
              .orElseThrow(() -> Fields.invalid(item.at("flavorRef"), "is a required property"));
      Flavor flavor =
          service
              .flavors()
              .resolve(flavorRef)
              .orElseThrow(
                  () ->
                      Fields.invalid(
                          item.at("flavorRef"),
                          "'" + flavorRef + "' is not a known flavor; see GET /flavors"));
      int size =
          item.optionalObject("volume")
              .map(
                  v ->
                      v.optionalInteger("size", 1, Integer.MAX_VALUE)
                          .orElseThrow(
                              () -> Fields.invalid(v.at("size"), "is a required property")))
              .orElse(1);
      nodes.add(new Node(flavor, size, item.optionalName("name")));
    }
    if (nodes.stream().map(n -> n.flavor().id()).distinct().count() > 1) {
      throw new ApiException.BadRequest(
          "The flavor for each instance in a cluster must be the same.");
    }
    if (nodes.stream().map(Node::volumeSize).distinct().count() > 1) {
      throw new ApiException.BadRequest(
          "The volume size for each instance in a cluster must be the same.");
    }
    return nodes;
  }

  /** Trove's {@code extended_properties}: scalar values, kept as text for the engine. */
  private static Map<String, String> options(Fields body) {
    Map<String, String> options = new LinkedHashMap<>();
    Optional<Fields> properties = body.optionalObject("extended_properties");
    if (properties.isEmpty()) {
      return options;
    }
    for (Map.Entry<String, JsonNode> field : properties.get().node().properties()) {
      String at = properties.get().at(field.getKey());
      if (!field.getKey().matches("[a-z][a-z0-9_]{0,63}")) {
        throw Fields.invalid(at, "is not a valid option name");
      }
      JsonNode value = field.getValue();
      if (!value.isValueNode() || value.isNull() || value.asText().length() > 255) {
        throw Fields.invalid(at, "must be a string, number or boolean");
      }
      options.put(field.getKey(), value.asText());
      if (options.size() > 20) {
        throw Fields.invalid(properties.get().path(), "must have at most 20 options");
      }
    }
    return options;
  }

  private static InstanceService.CreateRequest request(
      String name, Node node, DatastoreVersion version) {
    return new InstanceService.CreateRequest(
        name,
        node.flavor(),
        node.volumeSize(),
        version,
        new PrepareRequest(List.of(), List.of()),
        false,
        List.of());
  }

  private int minimumMembers(DatastoreVersion version) {
    return MINIMUM_MEMBERS.getOrDefault(version.datastoreName(), 1);
  }

  // ---- actions ------------------------------------------------------------------------------

  /** Trove's gate: grow, shrink and the like need the cluster idle (422 naming its task). */
  private static void requireIdle(Cluster cluster) {
    if (cluster.task() != ClusterTask.NONE) {
      throw new ApiException.UnprocessableEntity(
          "This action cannot be performed on the cluster while the current cluster task is '"
              + cluster.task().label()
              + "'.");
    }
  }

  /** Trove's grow: new members like at create (named {@code <cluster>-member-<n>} by default). */
  public synchronized Cluster grow(Principal principal, String id, Fields body, String field) {
    Cluster cluster = get(principal, id);
    requireIdle(cluster);
    List<Fields> items = body.objects(field, MAX_MEMBERS);
    if (items.isEmpty()) {
      throw Fields.invalid(body.at(field), "must list at least one instance");
    }
    List<Node> nodes = nodes(items);
    List<Instance> current = members(cluster);
    if (current.size() + nodes.size() > MAX_MEMBERS) {
      throw Fields.invalid(
          body.at(field), "would make the cluster larger than " + MAX_MEMBERS + " instances");
    }
    Set<String> taken = new HashSet<>();
    service.list(principal, Integer.MAX_VALUE, Optional.empty()).forEach(i -> taken.add(i.name()));
    DatastoreVersion version = version(cluster);
    List<InstanceService.CreateRequest> requests = new ArrayList<>();
    int n = current.size();
    for (Node node : nodes) {
      String name = node.name().orElse(null);
      if (name == null) {
        do {
          n++;
          name = cluster.name() + "-member-" + n;
        } while (taken.contains(name));
      }
      taken.add(name);
      requests.add(request(name, node, version));
    }
    List<Instance> added = service.createClusterMembers(principal, requests, cluster.id(), MEMBER);
    clusters.setTask(cluster.id(), ClusterTask.GROWING_CLUSTER, null);
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.GROW_CLUSTER,
            cluster.id(),
            write(new MembersPayload(added.stream().map(Instance::id).toList()))));
    log.info("event=cluster_grow_accepted cluster={} added={}", cluster.id(), added.size());
    return clusters.find(cluster.id()).orElseThrow();
  }

  /** Trove's shrink: {@code [{"id": <member>}]}; the rest must still make a cluster. */
  public synchronized Cluster shrink(Principal principal, String id, Fields body, String field) {
    Cluster cluster = get(principal, id);
    requireIdle(cluster);
    List<Fields> items = body.objects(field, MAX_MEMBERS);
    if (items.isEmpty()) {
      throw Fields.invalid(body.at(field), "must list at least one instance");
    }
    List<Instance> current = members(cluster);
    List<String> leaving = new ArrayList<>();
    for (Fields item : items) {
      String instanceId = item.string("id", 64);
      Instance instance = service.get(principal, instanceId);
      if (current.stream().noneMatch(m -> m.id().equals(instance.id()))) {
        throw new ApiException.BadRequest(
            "Instance " + instanceId + " is not a member of cluster " + cluster.id() + ".");
      }
      if (!leaving.contains(instance.id())) {
        leaving.add(instance.id());
      }
    }
    int remaining = current.size() - leaving.size();
    if (remaining < 1) {
      throw new ApiException.BadRequest(
          "Must leave at least one instance in the cluster when shrinking.");
    }
    int minimum = minimumMembers(version(cluster));
    if (remaining < minimum) {
      throw new ApiException.BadRequest(
          "The number of instances in your cluster cannot safely be lowered below the current"
              + " level based on your current fault-tolerance settings (a "
              + version(cluster).datastoreName()
              + " cluster needs at least "
              + minimum
              + " instances).");
    }
    for (Instance member : current) {
      if (member.task() != TaskStatus.NONE) {
        throw new ApiException.UnprocessableEntity(
            "Instance "
                + member.id()
                + " is not currently available for an action to be performed (task status was "
                + member.task()
                + ").");
      }
    }
    clusters.setTask(cluster.id(), ClusterTask.SHRINKING_CLUSTER, null);
    tasks.submit(
        Task.create(
            UUID.randomUUID().toString(),
            TaskType.SHRINK_CLUSTER,
            cluster.id(),
            write(new MembersPayload(leaving))));
    log.info("event=cluster_shrink_accepted cluster={} leaving={}", cluster.id(), leaving);
    return clusters.find(cluster.id()).orElseThrow();
  }

  /** Trove's delete: allowed with no task or while already deleting. */
  public synchronized void delete(Principal principal, String id) {
    Cluster cluster = get(principal, id);
    if (cluster.task() == ClusterTask.DELETING) {
      return;
    }
    requireIdle(cluster);
    clusters.setTask(cluster.id(), ClusterTask.DELETING, null);
    tasks.submit(
        Task.create(UUID.randomUUID().toString(), TaskType.DELETE_CLUSTER, cluster.id(), null));
    log.info("event=cluster_delete_accepted cluster={} project={}", id, principal.projectId());
  }

  /** Trove's admin reset-status: the cluster's task back to NONE, its fault cleared. */
  public void resetStatus(Principal principal, String id) {
    if (!principal.isAdmin()) {
      throw new ApiException.Forbidden(
          "Policy doesn't allow cluster:reset-status to be performed.");
    }
    Cluster cluster = get(principal, id);
    clusters.setTask(cluster.id(), ClusterTask.NONE, null);
    for (Instance member : members(cluster)) {
      if (member.task().isError()) {
        instances.setFault(member.id(), TaskStatus.NONE, null);
      }
    }
    log.warn("event=cluster_status_reset cluster={} was={}", id, cluster.task());
  }

  // ---- for the tasks ------------------------------------------------------------------------

  /** The cluster as {@code self} must know it, with {@code members} in the cluster's order. */
  ClusterSetup setup(Cluster cluster, List<Instance> members, String self, boolean bootstrap) {
    List<ClusterMember> list = new ArrayList<>();
    for (Instance m : members) {
      list.add(new ClusterMember(m.id(), m.address(), m.port() == null ? 0 : m.port()));
    }
    String key = vault.unwrap(cluster.wrappedSecret());
    String secret = key.replace('+', 'x').replace('/', 'y').replace("=", "");
    return new ClusterSetup(cluster.id(), list, self, bootstrap, cluster.options(), secret);
  }

  private String write(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

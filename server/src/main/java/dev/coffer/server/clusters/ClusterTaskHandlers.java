package dev.coffer.server.clusters;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.ClusterChange;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstancePlacement;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable steps of cluster create, grow, shrink and delete, in the order {@code ClusterEngine}
 * documents. A task carries the cluster's id (so one cluster task runs at a time) and re-runs from
 * the start after a crash: placement finds what exists, every agent command is idempotent, and its
 * id is derived from the task, the attempt, the step and the member ({@code <task>:<step><attempt>:
 * <member>}, under the 80 characters a command id may have).
 *
 * <p>A failure ends the cluster's task (Trove leaves it set; Coffer returns it to NONE so the
 * cluster can be deleted) with a fault message, and the members that were being built show ERROR.
 */
public final class ClusterTaskHandlers {
  private static final Logger log = LoggerFactory.getLogger(ClusterTaskHandlers.class);
  private static final Duration POLL = Duration.ofMillis(250);

  private final ClusterRepository clusters;
  private final ClusterService service;
  private final InstanceRepository instances;
  private final InstancePlacement placement;
  private final AgentGateway agents;
  private final ComputeDriver compute;
  private final ObjectMapper json;

  public ClusterTaskHandlers(
      ClusterRepository clusters,
      ClusterService service,
      InstanceRepository instances,
      InstancePlacement placement,
      AgentGateway agents,
      ComputeDriver compute,
      ObjectMapper json) {
    this.clusters = clusters;
    this.service = service;
    this.instances = instances;
    this.placement = placement;
    this.agents = agents;
    this.compute = compute;
    this.json = json;
  }

  public List<TaskHandler> all() {
    return List.of(new Create(), new Grow(), new Shrink(), new Delete());
  }

  // ---- steps --------------------------------------------------------------------------------

  /**
   * Sends a command and waits for its answer within the task's deadline. The engine refusing the
   * request is permanent; its failure or silence is retried (with the next attempt's id).
   */
  private CommandResult command(
      Task task, String step, Instance member, CommandType type, Object payload)
      throws TimeoutException {
    String id = task.id() + ":" + step + task.attempts() + ":" + member.id();
    agents.send(member.id(), id, type, payload);
    Duration left = Duration.between(Instant.now(), task.deadline());
    if (left.isNegative()) {
      throw new TimeoutException("deadline passed");
    }
    CommandResult result = agents.await(id, left);
    if (!result.ok()) {
      String why = type + " on " + member.name() + " failed: " + result.error();
      if (result.errorKind() == ErrorKind.ENGINE_FAILURE) {
        throw new IllegalStateException(why);
      }
      throw new PermanentFailure(why);
    }
    return result;
  }

  /** Places the members (idempotent), so that each has its address and port. */
  private List<Instance> placed(List<Instance> members) {
    List<Instance> placed = new ArrayList<>();
    for (Instance member : members) {
      placed.add(member.port() == null ? placement.place(member) : member);
    }
    return placed;
  }

  /**
   * With the engine stopped, the member learns the cluster; then PREPARE starts it (once it
   * answers, the engine serves). One member at a time, in the cluster's order.
   */
  private void configureAndStart(
      Task task, Cluster cluster, List<Instance> all, Instance member, boolean bootstrap)
      throws TimeoutException {
    Instance placed = placement.place(member);
    ClusterSetup setup = service.setup(cluster, all, placed.id(), bootstrap);
    command(task, "cf", placed, CommandType.CONFIGURE_CLUSTER, setup);
    command(task, "pr", placed, CommandType.PREPARE, new PrepareRequest(List.of(), List.of()));
    instances.markRunning(placed.id(), Instant.now());
    log.info("event=cluster_member_started cluster={} instance={}", cluster.id(), placed.id());
  }

  private Optional<Cluster> cluster(Task task, ClusterTask expected) {
    return clusters.find(task.instanceId()).filter(c -> c.task() == expected);
  }

  private void failBuilding(Cluster cluster, List<String> ids, String reason) {
    for (String id : ids) {
      instances
          .find(id)
          .filter(i -> i.task() == TaskStatus.BUILDING)
          .ifPresent(
              i -> {
                agents.cancelAll(i.id());
                compute.stop(i.id());
                instances.setFaultIf(
                    i.id(), TaskStatus.BUILDING, TaskStatus.BUILDING_ERROR, reason);
              });
    }
  }

  private ClusterService.MembersPayload members(Task task) throws java.io.IOException {
    return json.readValue(task.payload(), ClusterService.MembersPayload.class);
  }

  /** Waits until none of {@code ids} is a live instance any more. */
  private void awaitGone(Task task, List<String> ids) throws InterruptedException {
    while (ids.stream().anyMatch(id -> instances.find(id).isPresent())) {
      if (Instant.now().isAfter(task.deadline())) {
        throw new PermanentFailure("Members were not deleted in time.");
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  // ---- tasks --------------------------------------------------------------------------------

  /** Every member configured and started (the first one bootstraps), then formed on the first. */
  final class Create implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.CREATE_CLUSTER;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Cluster> found = cluster(task, ClusterTask.BUILDING_INITIAL);
      if (found.isEmpty()) {
        return;
      }
      Cluster cluster = found.get();
      List<Instance> members = placed(service.members(cluster));
      for (int i = 0; i < members.size(); i++) {
        configureAndStart(task, cluster, members, members.get(i), i == 0);
      }
      Instance first = members.get(0);
      command(
          task,
          "fm",
          first,
          CommandType.FORM_CLUSTER,
          service.setup(cluster, members, first.id(), true));
      for (Instance member : members) {
        instances.setFault(member.id(), TaskStatus.NONE, null);
      }
      clusters.setTask(cluster.id(), ClusterTask.NONE, null);
      log.info("event=cluster_active cluster={} members={}", cluster.id(), members.size());
    }

    @Override
    public void giveUp(Task task, String reason) {
      clusters
          .find(task.instanceId())
          .ifPresent(
              cluster -> {
                failBuilding(
                    cluster,
                    service.members(cluster).stream().map(Instance::id).toList(),
                    "Building the cluster failed: " + reason);
                clusters.setTask(cluster.id(), ClusterTask.NONE, "Build failed: " + reason);
                log.warn("event=cluster_error cluster={} reason=\"{}\"", cluster.id(), reason);
              });
    }
  }

  /** The new members configured and started with the grown setup, then brought in. */
  final class Grow implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.GROW_CLUSTER;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Cluster> found = cluster(task, ClusterTask.GROWING_CLUSTER);
      if (found.isEmpty()) {
        return;
      }
      Cluster cluster = found.get();
      List<String> added = members(task).instanceIds();
      List<Instance> members = placed(service.members(cluster));
      for (Instance member : members) {
        if (added.contains(member.id())) {
          configureAndStart(task, cluster, members, member, false);
        }
      }
      Instance existing =
          members.stream()
              .filter(m -> !added.contains(m.id()))
              .findFirst()
              .orElseThrow(() -> new PermanentFailure("No member of the cluster remains."));
      command(
          task,
          "ad",
          existing,
          CommandType.CLUSTER_MEMBERS_ADDED,
          new ClusterChange(service.setup(cluster, members, existing.id(), false), added));
      for (String id : added) {
        instances.setFault(id, TaskStatus.NONE, null);
      }
      clusters.setTask(cluster.id(), ClusterTask.NONE, null);
      log.info("event=cluster_grown cluster={} added={}", cluster.id(), added);
    }

    @Override
    public void giveUp(Task task, String reason) {
      clusters
          .find(task.instanceId())
          .ifPresent(
              cluster -> {
                try {
                  failBuilding(cluster, members(task).instanceIds(), "Grow failed: " + reason);
                } catch (java.io.IOException | RuntimeException e) {
                  log.warn("event=task_payload_unreadable task={}", task.id());
                }
                clusters.setTask(cluster.id(), ClusterTask.NONE, "Grow failed: " + reason);
                log.warn(
                    "event=cluster_grow_failed cluster={} reason=\"{}\"", cluster.id(), reason);
              });
    }
  }

  /**
   * Each leaving member hands its data to the others (it gets the cluster as it will be, itself
   * excluded, as its setup), a remaining member forgets them, then they are deleted.
   */
  final class Shrink implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.SHRINK_CLUSTER;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Cluster> found = cluster(task, ClusterTask.SHRINKING_CLUSTER);
      if (found.isEmpty()) {
        return;
      }
      Cluster cluster = found.get();
      List<String> leaving = members(task).instanceIds();
      List<Instance> members = service.members(cluster);
      List<Instance> remaining = members.stream().filter(m -> !leaving.contains(m.id())).toList();
      for (Instance member : members) {
        if (leaving.contains(member.id()) && member.task() != TaskStatus.DELETING) {
          command(
              task,
              "lv",
              member,
              CommandType.LEAVE_CLUSTER,
              service.setup(cluster, remaining, member.id(), false));
        }
      }
      Instance first = remaining.get(0);
      command(
          task,
          "rm",
          first,
          CommandType.CLUSTER_MEMBERS_REMOVED,
          new ClusterChange(service.setup(cluster, remaining, first.id(), false), leaving));
      for (Instance member : members) {
        if (leaving.contains(member.id())) {
          service.instances().deleteClusterMember(member);
        }
      }
      awaitGone(task, leaving);
      clusters.setTask(cluster.id(), ClusterTask.NONE, null);
      log.info("event=cluster_shrunk cluster={} removed={}", cluster.id(), leaving);
    }

    @Override
    public void giveUp(Task task, String reason) {
      clusters.setTask(task.instanceId(), ClusterTask.NONE, "Shrink failed: " + reason);
      log.warn("event=cluster_shrink_failed cluster={} reason=\"{}\"", task.instanceId(), reason);
    }
  }

  /** Every member deleted like an instance, then the cluster. */
  final class Delete implements TaskHandler {
    @Override
    public TaskType type() {
      return TaskType.DELETE_CLUSTER;
    }

    @Override
    public void run(Task task) throws Exception {
      Optional<Cluster> found = cluster(task, ClusterTask.DELETING);
      if (found.isEmpty()) {
        return;
      }
      Cluster cluster = found.get();
      List<Instance> members = service.members(cluster);
      for (Instance member : members) {
        service.instances().deleteClusterMember(member);
      }
      awaitGone(task, members.stream().map(Instance::id).toList());
      clusters.markDeleted(cluster.id());
      log.info("event=cluster_deleted cluster={}", cluster.id());
    }

    @Override
    public void giveUp(Task task, String reason) {
      clusters.setTask(task.instanceId(), ClusterTask.NONE, "Delete failed: " + reason);
    }
  }
}

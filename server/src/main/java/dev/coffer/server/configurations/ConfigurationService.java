package dev.coffer.server.configurations;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.ParameterSpec;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that changes configuration groups and what instances have attached: validates
 * values against the engine's catalog, checks Trove's gates, and submits the task that applies a
 * group to an instance. The engine's syntax stays in the agents.
 */
public final class ConfigurationService {
  private static final Logger log = LoggerFactory.getLogger(ConfigurationService.class);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final ConfigurationRepository groups;
  private final InstanceService instances;
  private final TaskRunner tasks;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public ConfigurationService(
      ConfigurationRepository groups,
      InstanceService instances,
      TaskRunner tasks,
      AgentGateway agents,
      ObjectMapper json) {
    this.groups = groups;
    this.instances = instances;
    this.tasks = tasks;
    this.agents = agents;
    this.json = json;
  }

  /** What the apply task carries: the group to go back to if the engine refuses the new one. */
  public record ApplyPayload(String previousGroupId) {}

  public ConfigurationGroup create(Principal principal, Fields body) {
    String name = body.name("name");
    Optional<String> description = body.optionalString("description", 255);
    Optional<Fields> datastore = body.optionalObject("datastore");
    DatastoreVersion version =
        instances
            .datastores()
            .forNewInstance(
                principal.projectId(),
                datastore.flatMap(d -> d.optionalString("type", 64)),
                datastore.flatMap(d -> d.optionalString("version", 64)));
    List<ParameterSpec> catalog = catalogOf(version);
    if (!body.has("values")) {
      throw Fields.invalid(body.at("values"), "is a required property");
    }
    Map<String, Object> values =
        ParameterValidation.validate(body.node().get("values"), catalog, label(version));
    Instant now = Instant.now();
    ConfigurationGroup group =
        new ConfigurationGroup(
            UUID.randomUUID().toString(),
            principal.projectId(),
            name,
            description.orElse(null),
            version.id(),
            values,
            now,
            now);
    groups.insert(group);
    log.info(
        "event=configuration_created configuration={} project={} datastore={} version={} parameters={}",
        group.id(),
        principal.projectId(),
        version.datastoreName(),
        version.name(),
        values.keySet());
    return group;
  }

  public List<ConfigurationGroup> list(Principal principal) {
    return groups.list(principal.projectId());
  }

  public ConfigurationGroup get(Principal principal, String id) {
    return groups
        .find(principal.projectId(), id)
        .orElseThrow(
            () -> new ApiException.NotFound("Configuration group " + id + " could not be found."));
  }

  /**
   * Trove's PUT (values replace the group's; 202) and PATCH (values merge into them; 200). Every
   * instance that has the group attached gets it applied again.
   */
  public ConfigurationGroup update(Principal principal, String id, Fields body, boolean merge) {
    ConfigurationGroup group = get(principal, id);
    DatastoreVersion version = instances.datastores().version(group.datastoreVersionId(), true);
    Map<String, Object> values = new LinkedHashMap<>();
    if (merge) {
      values.putAll(group.values());
    }
    if (body.has("values")) {
      values.putAll(
          ParameterValidation.validate(
              body.node().get("values"), catalogOf(version), label(version)));
    } else if (!merge) {
      throw Fields.invalid(body.at("values"), "is a required property");
    }
    ConfigurationGroup updated =
        new ConfigurationGroup(
            group.id(),
            group.projectId(),
            body.optionalName("name").orElse(group.name()),
            body.optionalString("description", 255).orElse(group.description()),
            group.datastoreVersionId(),
            values,
            group.createdAt(),
            Instant.now());
    groups.update(updated);
    for (String instanceId : groups.instancesOf(group.id())) {
      submitApply(instanceId, group.id());
    }
    log.info(
        "event=configuration_updated configuration={} merge={} parameters={}",
        group.id(),
        merge,
        values.keySet());
    return updated;
  }

  public void delete(Principal principal, String id) {
    ConfigurationGroup group = get(principal, id);
    List<String> attached = groups.instancesOf(group.id());
    if (!attached.isEmpty()) {
      throw new ApiException.BadRequest(
          "Configuration group "
              + group.id()
              + " is attached to "
              + attached.size()
              + " instance(s); detach it first.");
    }
    groups.delete(group.id());
    log.info("event=configuration_deleted configuration={}", group.id());
  }

  int instanceCount(String groupId) {
    return groups.instancesOf(groupId).size();
  }

  /** The instances of the project that have the group attached. */
  public List<Instance> instancesOf(Principal principal, String id) {
    ConfigurationGroup group = get(principal, id);
    List<Instance> found = new ArrayList<>();
    for (String instanceId : groups.instancesOf(group.id())) {
      try {
        found.add(instances.get(principal, instanceId));
      } catch (ApiException.NotFound gone) {
        // deleted meanwhile
      }
    }
    return found;
  }

  /** Trove's attach ({@code PUT /instances/{id}} with {@code configuration}); gate A. */
  public void attach(Principal principal, String instanceId, String groupId) {
    Instance instance = instances.get(principal, instanceId);
    ConfigurationGroup group = get(principal, groupId);
    requireAssignable(instance);
    Optional<String> current = groups.attached(instance.id());
    if (current.isPresent()) {
      throw new ApiException.BadRequest(
          "Instance "
              + instance.id()
              + " already has a Configuration Group attached: "
              + current.get()
              + ".");
    }
    if (!group.datastoreVersionId().equals(instance.datastoreVersionId())) {
      DatastoreVersion version = instances.datastores().version(group.datastoreVersionId(), true);
      throw new ApiException.BadRequest(
          "Configuration group "
              + group.id()
              + " is for "
              + label(version)
              + ", not for the instance's "
              + label(instances.version(instance))
              + ".");
    }
    groups.setAttached(instance.id(), group.id());
    submitApply(instance.id(), null);
    log.info(
        "event=configuration_attached instance={} configuration={}", instance.id(), group.id());
  }

  /**
   * The group a new instance of {@code version} is created with ({@code instance['configuration']}
   * of Trove's create): it must be the caller's and of the same datastore version.
   */
  public ConfigurationGroup forNewInstance(
      Principal principal, String groupId, DatastoreVersion version, String field) {
    catalogOf(version);
    ConfigurationGroup group;
    try {
      group = get(principal, groupId);
    } catch (ApiException.NotFound e) {
      throw new ApiException.BadRequest(
          "Validation error: "
              + field
              + " '"
              + groupId
              + "' is not a configuration group of yours.");
    }
    if (!group.datastoreVersionId().equals(version.id())) {
      throw new ApiException.BadRequest(
          "Validation error: "
              + field
              + " "
              + group.id()
              + " is for "
              + label(instances.datastores().version(group.datastoreVersionId(), true))
              + ", not for "
              + label(version)
              + ".");
    }
    return group;
  }

  /** A group's values as an agent applies them (the payload of APPLY_CONFIGURATION). */
  public static Map<String, String> agentValues(Map<String, Object> groupValues) {
    Map<String, String> values = new java.util.LinkedHashMap<>();
    groupValues.forEach((k, v) -> values.put(k, ParameterValidation.asString(v)));
    return values;
  }

  /** Records that a new instance was created with {@code group}; its agent applies the values. */
  public void createdWith(Instance instance, ConfigurationGroup group) {
    groups.setAttached(instance.id(), group.id());
    log.info(
        "event=configuration_attached instance={} configuration={} at=create",
        instance.id(),
        group.id());
  }

  /** Trove's detach: back to the engine's defaults; nothing happens if none is attached. */
  public void detach(Principal principal, String instanceId) {
    Instance instance = instances.get(principal, instanceId);
    Optional<String> current = groups.attached(instance.id());
    if (current.isEmpty()) {
      return;
    }
    requireAssignable(instance);
    groups.setAttached(instance.id(), null);
    submitApply(instance.id(), current.get());
    log.info(
        "event=configuration_detached instance={} configuration={}", instance.id(), current.get());
  }

  /** Gate A: the instance runs and has no task. */
  private void requireAssignable(Instance instance) {
    DatastoreDescriptor descriptor = instances.descriptorOf(instance);
    if (!descriptor.supports(Capability.CONFIGURATION)) {
      throw ApiException.notSupported(Capability.CONFIGURATION, descriptor.name());
    }
    instances.requireActionable(instance, instances.backupRunning(instance));
  }

  private void submitApply(String instanceId, String previousGroupId) {
    try {
      tasks.submit(
          Task.create(
              UUID.randomUUID().toString(),
              TaskType.CONFIGURE_INSTANCE,
              instanceId,
              json.writeValueAsString(new ApplyPayload(previousGroupId))));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The attached group's values, if any (the apply task sends them). */
  Map<String, Object> valuesFor(String instanceId) {
    return groups
        .attached(instanceId)
        .flatMap(groups::find)
        .map(ConfigurationGroup::values)
        .orElse(Map.of());
  }

  /** Puts the instance back on the group it had before a refused change. */
  void restoreAttachment(String instanceId, String previousGroupId) {
    groups.setAttached(instanceId, previousGroupId);
  }

  void markRestartNeeded(String instanceId) {
    groups.setRestartPending(instanceId, true);
  }

  public Optional<ConfigurationGroup> attachedGroup(Instance instance) {
    return groups.attached(instance.id()).flatMap(id -> groups.find(instance.projectId(), id));
  }

  public boolean restartPending(String instanceId) {
    return groups.restartPending(instanceId);
  }

  /** The instance restarted: every value it was given is in effect. */
  public void restarted(String instanceId) {
    groups.setRestartPending(instanceId, false);
  }

  public void forget(String instanceId) {
    groups.forget(instanceId);
  }

  public List<ParameterSpec> catalogOf(DatastoreVersion version) {
    List<ParameterSpec> catalog = instances.datastores().parameters(version);
    DatastoreDescriptor descriptor = instances.datastores().descriptor(version.datastoreName());
    if (catalog.isEmpty() || !descriptor.supports(Capability.CONFIGURATION)) {
      throw ApiException.notSupported(Capability.CONFIGURATION, version.datastoreName());
    }
    return catalog;
  }

  /**
   * Trove's {@code GET /instances/{id}/configuration}: the values the engine itself reports for
   * every parameter of its catalog, typed as the catalog says.
   */
  public Map<String, Object> effective(Principal principal, String instanceId) {
    Instance instance = instances.get(principal, instanceId);
    List<ParameterSpec> catalog = catalogOf(instances.version(instance));
    instances.requireGuestReady(instance);
    List<String> names = catalog.stream().map(ParameterSpec::name).toList();
    Map<String, String> reported =
        agents.call(
            instance,
            CommandType.GET_CONFIGURATION,
            names,
            json.getTypeFactory().constructMapType(Map.class, String.class, String.class),
            READ_TIMEOUT);
    Map<String, Object> typed = new LinkedHashMap<>();
    for (ParameterSpec spec : catalog) {
      String value = reported == null ? null : reported.get(spec.name());
      if (value != null) {
        typed.put(spec.name(), typed(spec, value));
      }
    }
    return typed;
  }

  private static Object typed(ParameterSpec spec, String value) {
    try {
      return switch (spec.type()) {
        case ParameterSpec.INTEGER -> Long.parseLong(value.strip());
        case ParameterSpec.FLOAT -> Double.parseDouble(value.strip());
        case ParameterSpec.BOOLEAN ->
            switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
              case "on", "true", "yes", "1" -> true;
              case "off", "false", "no", "0" -> false;
              default -> value;
            };
        default -> value;
      };
    } catch (NumberFormatException e) {
      return value;
    }
  }

  static String label(DatastoreVersion version) {
    return version.datastoreName() + " " + version.name();
  }
}

package dev.coffer.server.configurations;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.ConfigurationResult;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.tasks.PermanentFailure;
import dev.coffer.server.tasks.Task;
import dev.coffer.server.tasks.TaskHandler;
import dev.coffer.server.tasks.TaskType;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an instance's configuration group (or, with none attached, the engine's defaults) through
 * its agent. Idempotent: the whole group is sent each time, read when the task runs, so the last
 * change wins. When the engine refuses a value, the instance goes back to its previous group (the
 * engine keeps its previous configuration) and stays ACTIVE with a fault message.
 */
public final class ConfigurationTaskHandler implements TaskHandler {
  private static final Logger log = LoggerFactory.getLogger(ConfigurationTaskHandler.class);
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final ConfigurationService configurations;
  private final InstanceRepository instances;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public ConfigurationTaskHandler(
      ConfigurationService configurations,
      InstanceRepository instances,
      AgentGateway agents,
      ObjectMapper json) {
    this.configurations = configurations;
    this.instances = instances;
    this.agents = agents;
    this.json = json;
  }

  @Override
  public TaskType type() {
    return TaskType.CONFIGURE_INSTANCE;
  }

  @Override
  public void run(Task task) throws Exception {
    if (instances.find(task.instanceId()).isEmpty()) {
      return;
    }
    Map<String, String> values =
        ConfigurationService.agentValues(configurations.valuesFor(task.instanceId()));
    String commandId = task.id() + ":apply";
    agents.send(task.instanceId(), commandId, CommandType.APPLY_CONFIGURATION, values);
    CommandResult result;
    try {
      result = agents.await(commandId, TIMEOUT);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "the agent did not answer within " + TIMEOUT.toSeconds() + " s");
    }
    if (!result.ok()) {
      throw new PermanentFailure("The engine refused the configuration: " + result.error());
    }
    ConfigurationResult applied = json.convertValue(result.result(), ConfigurationResult.class);
    if (!applied.restartRequired().isEmpty()) {
      configurations.markRestartNeeded(task.instanceId());
    }
    instances.setFault(
        task.instanceId(), instances.find(task.instanceId()).orElseThrow().task(), null);
    log.info(
        "event=configuration_applied instance={} parameters={} restart_required={}",
        task.instanceId(),
        values.keySet(),
        applied.restartRequired());
  }

  @Override
  public void giveUp(Task task, String reason) {
    String previous = null;
    try {
      previous =
          json.readValue(task.payload(), ConfigurationService.ApplyPayload.class).previousGroupId();
    } catch (Exception unreadable) {
      log.warn("event=task_payload_unreadable task={}", task.id());
    }
    configurations.restoreAttachment(task.instanceId(), previous);
    instances.find(task.instanceId()).ifPresent(i -> instances.setFault(i.id(), i.task(), reason));
    log.warn("event=configuration_refused instance={} reason=\"{}\"", task.instanceId(), reason);
  }
}

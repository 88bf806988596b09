package dev.coffer.server.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.GuestLog;
import dev.coffer.api.agent.GuestLogChange;
import dev.coffer.api.agent.GuestLogChunk;
import dev.coffer.api.agent.GuestLogRead;
import dev.coffer.api.agent.GuestLogType;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.backups.BackupVault;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trove's guest logs: the agent reports each log file and turns USER logs on and off; publishing
 * copies the bytes written since the last publish from the agent into the backup store (in pieces
 * of at most {@link GuestLogRead#MAX_BYTES} per command, streamed, never whole in memory) with a
 * metafile that records how far it got; discarding deletes what was published.
 *
 * <p>Objects live under {@value #ROOT}/ in the backup store: {@code
 * logs/<instance>/<datastore>-<log>/log-<offset>} and {@code
 * logs/<instance>/<datastore>-<log>_metafile}, Trove's layout in its log container. They are stored
 * as written by the engine, not encrypted.
 */
public final class GuestLogService {
  private static final Logger log = LoggerFactory.getLogger(GuestLogService.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  static final String ROOT = "logs";
  static final int MAX_TAIL_LINES = 1000;

  private final InstanceService instances;
  private final AgentGateway agents;
  private final BackupVault vault;
  private final ObjectMapper json;
  // one publish or discard at a time per log: both move the metafile
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  public GuestLogService(
      InstanceService instances, AgentGateway agents, BackupVault vault, ObjectMapper json) {
    this.instances = instances;
    this.agents = agents;
    this.vault = vault;
    this.json = json;
  }

  /** What one action of {@code POST /instances/{id}/log} asks (Trove's flags). */
  record Action(String name, boolean enable, boolean disable, boolean publish, boolean discard) {
    static Action parse(Fields body) {
      String name = body.string("name", 64);
      return new Action(
          name,
          flag(body, "enable"),
          flag(body, "disable"),
          flag(body, "publish"),
          flag(body, "discard"));
    }

    /** troveclient sends 1 or 0; true and false are accepted too. */
    private static boolean flag(Fields body, String field) {
      JsonNode value = body.node().get(field);
      if (value == null || value.isNull()) {
        return false;
      }
      if (value.isBoolean()) {
        return value.asBoolean();
      }
      if (value.isIntegralNumber()) {
        return value.asLong() != 0;
      }
      throw Fields.invalid(body.at(field), "must be 1, 0, true or false");
    }
  }

  /** Trove's {@code GET /instances/{id}/log}. */
  public List<Map<String, Object>> list(Principal principal, String instanceId) {
    Instance instance = ready(principal, instanceId);
    List<Map<String, Object>> views = new ArrayList<>();
    for (GuestLog guestLog : logs(instance)) {
      views.add(view(instance, guestLog, published(instance, guestLog)));
    }
    return views;
  }

  /**
   * Trove's {@code POST /instances/{id}/log}: shows a log, after turning it on or off, discarding
   * and publishing it as asked (in that order; publishing turns a USER log on unless told to turn
   * it off).
   */
  public Map<String, Object> act(Principal principal, String instanceId, Action action) {
    if (action.enable() && action.disable()) {
      throw new ApiException.BadRequest("Cannot enable and disable log.");
    }
    Instance instance = ready(principal, instanceId);
    GuestLog guestLog = find(instance, action.name());
    boolean enable = action.enable() || (action.publish() && !action.disable());
    if (guestLog.type() == GuestLogType.SYS
        && !action.publish()
        && (action.enable() || action.disable())) {
      throw new ApiException.BadRequest(
          "Cannot "
              + (action.enable() ? "enable" : "disable")
              + " a SYSTEM log ('"
              + guestLog.name()
              + "').");
    }
    if (guestLog.type() == GuestLogType.USER
        && ((enable && !guestLog.enabled()) || (action.disable() && guestLog.enabled()))) {
      guestLog =
          agents.call(
              instance,
              CommandType.SET_LOG,
              new GuestLogChange(guestLog.name(), !action.disable()),
              json.constructType(GuestLog.class),
              CALL_TIMEOUT);
      log.info(
          "event=guest_log_set instance={} project={} log={} enabled={}",
          instance.id(),
          instance.projectId(),
          guestLog.name(),
          guestLog.enabled());
    }
    synchronized (lock(instance, guestLog)) {
      if (action.discard()) {
        discard(instance, guestLog);
      }
      if (action.publish()) {
        guestLog = publish(instance, guestLog);
      }
      return view(instance, guestLog, published(instance, guestLog));
    }
  }

  /** Native: the last {@code lines} lines of a log, read from the instance (not the store). */
  public Map<String, Object> tail(Principal principal, String instanceId, String name, int lines) {
    Instance instance = ready(principal, instanceId);
    GuestLog guestLog = find(instance, name);
    GuestLogChunk chunk =
        agents.call(
            instance,
            CommandType.READ_LOG,
            GuestLogRead.tail(guestLog.name(), lines),
            json.constructType(GuestLogChunk.class),
            CALL_TIMEOUT);
    String text = new String(chunk.data(), StandardCharsets.UTF_8);
    List<String> tail = text.isEmpty() ? List.of() : List.of(text.split("\n", -1));
    if (!tail.isEmpty() && tail.get(tail.size() - 1).isEmpty()) {
      tail = tail.subList(0, tail.size() - 1);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", guestLog.name());
    m.put("type", guestLog.type().name());
    m.put("size", chunk.size());
    m.put("lines", tail);
    return m;
  }

  /** Deletes what was published of an instance's logs (the instance is gone). */
  public void forget(String instanceId) {
    try {
      for (String key : vault.list(ROOT + "/" + instanceId + "/")) {
        vault.delete(key);
      }
    } catch (RuntimeException e) {
      log.warn("event=guest_log_forget_failed instance={} error={}", instanceId, e.getMessage());
    }
  }

  private Instance ready(Principal principal, String instanceId) {
    Instance instance = instances.get(principal, instanceId);
    instances.requireGuestReady(instance);
    return instance;
  }

  private List<GuestLog> logs(Instance instance) {
    JavaType type = json.getTypeFactory().constructCollectionType(List.class, GuestLog.class);
    List<GuestLog> logs = agents.call(instance, CommandType.LIST_LOGS, null, type, CALL_TIMEOUT);
    return logs == null ? List.of() : logs;
  }

  private GuestLog find(Instance instance, String name) {
    return logs(instance).stream()
        .filter(l -> l.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new ApiException.NotFound("Log '" + name + "' is not defined."));
  }

  /**
   * Copies what the log gained since the last publish into one new object; a rotated file's old
   * pieces are discarded first. Only what existed when the publish began is copied.
   */
  private GuestLog publish(Instance instance, GuestLog guestLog) {
    PublishedLog before = published(instance, guestLog);
    if (GuestLogStatus.rotated(guestLog, before)) {
      discard(instance, guestLog);
      before = PublishedLog.none(guestLog.name(), guestLog.type().name());
    }
    long from = before.size();
    long until = guestLog.size();
    if (until <= from) {
      return guestLog;
    }
    long[] reached = {from};
    String key = prefixKey(instance, guestLog) + "log-" + String.format("%019d", from);
    vault.put(
        key,
        out -> {
          while (reached[0] < until) {
            int want = (int) Math.min(GuestLogRead.MAX_BYTES, until - reached[0]);
            GuestLogChunk chunk =
                agents.call(
                    instance,
                    CommandType.READ_LOG,
                    GuestLogRead.from(guestLog.name(), reached[0], want),
                    json.constructType(GuestLogChunk.class),
                    CALL_TIMEOUT);
            byte[] data = chunk.data();
            if (!chunk.headDigest().equals(guestLog.headDigest())) {
              throw new ApiException.Conflict(
                  "Log '" + guestLog.name() + "' was rotated while it was published; try again.");
            }
            if (data.length == 0) {
              break;
            }
            out.write(data);
            reached[0] += data.length;
          }
        });
    writePublished(
        instance,
        guestLog,
        new PublishedLog(
            guestLog.name(), guestLog.type().name(), reached[0], guestLog.headDigest()));
    log.info(
        "event=guest_log_published instance={} project={} log={} from={} to={} object={}",
        instance.id(),
        instance.projectId(),
        guestLog.name(),
        from,
        reached[0],
        key);
    return guestLog;
  }

  private void discard(Instance instance, GuestLog guestLog) {
    for (String key : vault.list(prefixKey(instance, guestLog))) {
      vault.delete(key);
    }
    vault.delete(metafileKey(instance, guestLog));
    log.info(
        "event=guest_log_discarded instance={} project={} log={}",
        instance.id(),
        instance.projectId(),
        guestLog.name());
  }

  private PublishedLog published(Instance instance, GuestLog guestLog) {
    return vault
        .read(metafileKey(instance, guestLog))
        .map(
            bytes -> {
              try {
                return json.readValue(bytes, PublishedLog.class);
              } catch (IOException e) {
                throw new UncheckedIOException("unreadable guest log metafile", e);
              }
            })
        .orElse(PublishedLog.none(guestLog.name(), guestLog.type().name()));
  }

  private void writePublished(Instance instance, GuestLog guestLog, PublishedLog published) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(published);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    vault.put(metafileKey(instance, guestLog), out -> out.write(bytes));
  }

  private Map<String, Object> view(Instance instance, GuestLog guestLog, PublishedLog published) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", guestLog.name());
    m.put("type", guestLog.type().name());
    m.put("status", GuestLogStatus.of(guestLog, published).wire());
    m.put("published", published.size());
    m.put("pending", GuestLogStatus.pending(guestLog, published));
    boolean any = published.size() > 0;
    m.put("container", any ? vault.locationRef(ROOT) : "None");
    m.put("prefix", any ? prefix(instance, guestLog) : "None");
    m.put("metafile", prefix(instance, guestLog).replaceAll("/$", "") + "_metafile");
    return m;
  }

  /** Relative to the container, as Trove shows it: {@code <instance>/<datastore>-<log>/}. */
  private String prefix(Instance instance, GuestLog guestLog) {
    return instance.id()
        + "/"
        + instances.version(instance).datastoreName()
        + "-"
        + guestLog.name()
        + "/";
  }

  private String prefixKey(Instance instance, GuestLog guestLog) {
    return ROOT + "/" + prefix(instance, guestLog);
  }

  private String metafileKey(Instance instance, GuestLog guestLog) {
    return ROOT + "/" + prefix(instance, guestLog).replaceAll("/$", "") + "_metafile";
  }

  private Object lock(Instance instance, GuestLog guestLog) {
    return locks.computeIfAbsent(instance.id() + "/" + guestLog.name(), k -> new Object());
  }
}

package dev.coffer.server.metrics;

import dev.coffer.server.tasks.TaskTimings;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The control plane's Micrometer registry: requests by route template, task runs by type and
 * outcome, and at each scrape the fleet's gauges (instances by status and datastore, tasks by type
 * and state, and the {@code coffer_instance_*} family of every live instance). The gauges are
 * computed from one {@link Fleet} read per scrape plus the agents' latest reports held in memory,
 * so a scrape costs the same few queries with 5 instances or 500.
 */
public final class ControlPlaneMetrics implements TaskTimings {
  /** Every family this registry exports, by its Prometheus name (docs/operations.md lists them). */
  public static final List<String> FAMILIES =
      List.of(
          "coffer_http_requests_seconds",
          "coffer_task_duration_seconds",
          "coffer_instances",
          "coffer_tasks",
          "coffer_instance_active",
          "coffer_instance_volume_size_bytes",
          "coffer_instance_volume_used_bytes",
          "coffer_instance_connections",
          "coffer_instance_operations_total",
          "coffer_instance_replication_lag_seconds",
          "coffer_instance_backup_age_seconds");

  private static final String STARTED = "coffer.metrics.started";
  private static final String UNMATCHED = "unmatched";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final FleetQueries fleet;
  private final InstanceLoads loads;
  private final MultiGauge instances;
  private final MultiGauge tasks;
  private final Map<String, MultiGauge> perInstance = new HashMap<>();
  private final Map<String, Meter> operationCounters = new HashMap<>();

  public ControlPlaneMetrics(FleetQueries fleet, InstanceLoads loads) {
    this.fleet = fleet;
    this.loads = loads;
    instances =
        MultiGauge.builder("coffer.instances")
            .description("Live instances by API status and datastore.")
            .register(registry);
    tasks =
        MultiGauge.builder("coffer.tasks")
            .description("Durable tasks by type and state.")
            .register(registry);
    for (InstanceGauge g : InstanceGauge.values()) {
      perInstance.put(
          g.metricName, MultiGauge.builder(g.metricName).description(g.help).register(registry));
    }
  }

  /** The per-instance gauges: one name set for every engine (see docs/operations.md). */
  private enum InstanceGauge {
    ACTIVE("coffer.instance.active", "1 if the instance's status is ACTIVE, else 0."),
    VOLUME_SIZE("coffer.instance.volume.size.bytes", "Size of the instance's volume."),
    VOLUME_USED("coffer.instance.volume.used.bytes", "Bytes the instance's data uses."),
    CONNECTIONS("coffer.instance.connections", "Client connections the engine has open."),
    REPLICATION_LAG(
        "coffer.instance.replication.lag.seconds", "How far a replica is behind its source."),
    BACKUP_AGE(
        "coffer.instance.backup.age.seconds",
        "Seconds since the instance's newest completed backup finished.");

    final String metricName;
    final String help;

    InstanceGauge(String metricName, String help) {
      this.metricName = metricName;
      this.help = help;
    }
  }

  /** Times every request by its route template; registered before any other handler. */
  public void instrument(Javalin app) {
    app.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
    app.after(this::timeRequest);
  }

  private void timeRequest(Context ctx) {
    Long started = ctx.attribute(STARTED);
    if (started == null) {
      return;
    }
    String route;
    try {
      route = ctx.endpointHandlerPath();
    } catch (RuntimeException e) {
      route = UNMATCHED;
    }
    if (route == null || route.isBlank() || route.equals("*")) {
      route = UNMATCHED;
    }
    Timer.builder("coffer.http.requests")
        .description("API requests by method, route template and status.")
        .tags("method", ctx.method().name(), "route", route, "status", stringOf(ctx.statusCode()))
        .register(registry)
        .record(Duration.ofNanos(System.nanoTime() - started));
  }

  private static String stringOf(int status) {
    return Integer.toString(status);
  }

  @Override
  public void finished(dev.coffer.server.tasks.TaskType type, String outcome, Duration took) {
    Timer.builder("coffer.task.duration")
        .description("How long task runs took, by type and outcome.")
        .tags("type", type.name(), "outcome", outcome)
        .register(registry)
        .record(took);
  }

  /** Recomputes the fleet's gauges and returns the whole registry in the Prometheus text format. */
  public synchronized String scrape() {
    refresh(fleet.read());
    return registry.scrape();
  }

  private void refresh(Fleet now) {
    Map<Tags, Long> byStatus =
        now.members().stream()
            .collect(
                Collectors.groupingBy(
                    m -> Tags.of("status", m.status(), "datastore", m.datastore()),
                    Collectors.counting()));
    instances.register(rows(byStatus), true);
    tasks.register(
        now.tasks().stream()
            .map(t -> MultiGauge.Row.of(Tags.of("type", t.type(), "state", t.state()), t.count()))
            .collect(Collectors.toList()),
        true);

    Map<InstanceGauge, List<MultiGauge.Row<?>>> rows = new HashMap<>();
    for (InstanceGauge g : InstanceGauge.values()) {
      rows.put(g, new ArrayList<>());
    }
    Set<String> reporting = new HashSet<>();
    for (Fleet.Member m : now.members()) {
      Tags tags = tagsOf(m);
      rows.get(InstanceGauge.ACTIVE)
          .add(MultiGauge.Row.of(tags, "ACTIVE".equals(m.status()) ? 1 : 0));
      rows.get(InstanceGauge.VOLUME_SIZE).add(MultiGauge.Row.of(tags, m.volumeSizeBytes()));
      m.volumeUsedBytes()
          .ifPresent(
              used -> rows.get(InstanceGauge.VOLUME_USED).add(MultiGauge.Row.of(tags, used)));
      java.time.Instant backup = now.lastGoodBackup().get(m.id());
      if (backup != null) {
        rows.get(InstanceGauge.BACKUP_AGE)
            .add(
                MultiGauge.Row.of(
                    tags, Math.max(0, Duration.between(backup, now.at()).toMillis() / 1000.0)));
      }
      loads
          .of(m.id())
          .ifPresent(
              load -> {
                if (load.connections() != null) {
                  rows.get(InstanceGauge.CONNECTIONS)
                      .add(MultiGauge.Row.of(tags, load.connections()));
                }
                if (load.replicationLagSeconds() != null) {
                  rows.get(InstanceGauge.REPLICATION_LAG)
                      .add(MultiGauge.Row.of(tags, load.replicationLagSeconds()));
                }
                if (load.operationsTotal() != null) {
                  reporting.add(m.id());
                  operationCounters.computeIfAbsent(m.id(), id -> operationsCounter(id, tags));
                }
              });
    }
    rows.forEach((g, r) -> perInstance.get(g.metricName).register(r, true));
    operationCounters
        .entrySet()
        .removeIf(
            e -> {
              if (reporting.contains(e.getKey())) {
                return false;
              }
              registry.remove(e.getValue());
              return true;
            });
    loads.retain(
        now.members().stream().map(Fleet.Member::id).collect(Collectors.toUnmodifiableSet()));
  }

  private Meter operationsCounter(String instanceId, Tags tags) {
    Function<InstanceLoads, Double> value =
        l ->
            l.of(instanceId)
                .map(InstanceLoads.Load::operationsTotal)
                .map(Long::doubleValue)
                .orElse(Double.NaN);
    return FunctionCounter.builder("coffer.instance.operations", loads, value::apply)
        .description(
            "Statements, transactions or commands the engine served since it started (use rate()).")
        .tags(tags)
        .register(registry);
  }

  private static Tags tagsOf(Fleet.Member m) {
    return Tags.of(
        "instance_id", m.id(), "project_id", m.instance().projectId(), "datastore", m.datastore());
  }

  private static List<MultiGauge.Row<?>> rows(Map<Tags, Long> counts) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach((tags, count) -> rows.add(MultiGauge.Row.of(tags, count)));
    return rows;
  }
}

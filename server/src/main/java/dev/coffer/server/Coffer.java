package dev.coffer.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.Json;
import dev.coffer.backup.storage.BackupStoreConfig;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.agents.AgentRoutes;
import dev.coffer.server.agents.JdbiCommandRepository;
import dev.coffer.server.alerts.ActiveAlerts;
import dev.coffer.server.alerts.AlertEvaluator;
import dev.coffer.server.alerts.AlertRoutes;
import dev.coffer.server.audit.AuditLog;
import dev.coffer.server.audit.AuditRoutes;
import dev.coffer.server.backups.BackupKeyRoutes;
import dev.coffer.server.backups.BackupKeys;
import dev.coffer.server.backups.BackupRoutes;
import dev.coffer.server.backups.BackupScheduler;
import dev.coffer.server.backups.BackupService;
import dev.coffer.server.backups.BackupStrategyRoutes;
import dev.coffer.server.backups.BackupTaskHandler;
import dev.coffer.server.backups.BackupVault;
import dev.coffer.server.backups.JdbiBackupRepository;
import dev.coffer.server.backups.JdbiBackupStrategyRepository;
import dev.coffer.server.backups.JdbiLogArchiveRepository;
import dev.coffer.server.backups.JdbiScheduleRepository;
import dev.coffer.server.backups.LogArchives;
import dev.coffer.server.backups.MasterKeys;
import dev.coffer.server.backups.RestoreDrillHandler;
import dev.coffer.server.backups.ScheduleRoutes;
import dev.coffer.server.backups.StaleUploadSweeper;
import dev.coffer.server.capacity.CapacityRoutes;
import dev.coffer.server.capacity.CapacityService;
import dev.coffer.server.capacity.VolumeSampler;
import dev.coffer.server.capacity.VolumeSamples;
import dev.coffer.server.clusters.ClusterRoutes;
import dev.coffer.server.clusters.ClusterService;
import dev.coffer.server.clusters.ClusterTaskHandlers;
import dev.coffer.server.clusters.JdbiClusterRepository;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.compute.local.LocalComputeDriver;
import dev.coffer.server.configurations.ConfigurationRoutes;
import dev.coffer.server.configurations.ConfigurationService;
import dev.coffer.server.configurations.ConfigurationTaskHandler;
import dev.coffer.server.configurations.JdbiConfigurationRepository;
import dev.coffer.server.console.ConsoleRoutes;
import dev.coffer.server.databases.DatabaseRoutes;
import dev.coffer.server.datastores.DatastoreCatalog;
import dev.coffer.server.datastores.DatastoreRoutes;
import dev.coffer.server.datastores.JdbiDatastoreRepository;
import dev.coffer.server.events.ClusterStatuses;
import dev.coffer.server.events.EventLog;
import dev.coffer.server.events.EventRoutes;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.events.StatusWatcher;
import dev.coffer.server.events.WatchedInstances;
import dev.coffer.server.events.WebhookDeliverer;
import dev.coffer.server.events.WebhookRoutes;
import dev.coffer.server.events.WebhookStore;
import dev.coffer.server.flavors.FlavorCatalog;
import dev.coffer.server.flavors.FlavorRoutes;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.IdentityRoutes;
import dev.coffer.server.identity.IdentityService;
import dev.coffer.server.identity.JdbiIdentityRepository;
import dev.coffer.server.instances.ExpireTaskHandler;
import dev.coffer.server.instances.ExpiryMonitor;
import dev.coffer.server.instances.ExpiryRepository;
import dev.coffer.server.instances.InstanceExpiry;
import dev.coffer.server.instances.InstancePlacement;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.InstanceRoutes;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.instances.InstanceTaskHandlers;
import dev.coffer.server.instances.InstanceUpgrades;
import dev.coffer.server.instances.JdbiInstanceRepository;
import dev.coffer.server.instances.Quotas;
import dev.coffer.server.instances.Reconciler;
import dev.coffer.server.instances.UpgradeTaskHandler;
import dev.coffer.server.logging.ServerLogs;
import dev.coffer.server.logs.GuestLogRoutes;
import dev.coffer.server.logs.GuestLogService;
import dev.coffer.server.metrics.ControlPlaneMetrics;
import dev.coffer.server.metrics.FleetQueries;
import dev.coffer.server.metrics.InstanceLoads;
import dev.coffer.server.metrics.MetricsRoutes;
import dev.coffer.server.quotas.ProjectQuotas;
import dev.coffer.server.quotas.QuotaRepository;
import dev.coffer.server.quotas.QuotaRoutes;
import dev.coffer.server.replication.FailoverMonitor;
import dev.coffer.server.replication.JdbiReplicationRepository;
import dev.coffer.server.replication.PrimaryEndpoints;
import dev.coffer.server.replication.ReplicaMember;
import dev.coffer.server.replication.ReplicationRoutes;
import dev.coffer.server.replication.ReplicationService;
import dev.coffer.server.replication.ReplicationTaskHandlers;
import dev.coffer.server.store.StateStore;
import dev.coffer.server.tasks.JdbiTaskRepository;
import dev.coffer.server.tasks.TaskRunner;
import dev.coffer.server.users.UserRoutes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The composition root: builds every part of the control plane and wires them together. */
public final class Coffer implements AutoCloseable {
  private final StateStore store;
  private final TaskRunner tasks;
  private final Reconciler reconciler;
  private final ApiServer api;
  private final IdentityService identity;
  private final ComputeDriver compute;
  private final InstanceRepository instances;
  private final ServerConfig config;
  private final BackupVault vault;
  private final BackupScheduler scheduler;
  private final StaleUploadSweeper sweeper;
  private final PrimaryEndpoints endpoints;
  private final FailoverMonitor failover;
  private final StatusWatcher statuses;
  private final WebhookDeliverer deliverer;
  private final ExpiryMonitor expiry;
  private final VolumeSampler volumeSampler;
  private final AlertEvaluator alerts;
  private final ServerLogs logs;

  /**
   * @param alsoTo where alerts are published besides the event log (tests that watch them)
   */
  private Coffer(ServerConfig config, EventSink alsoTo) {
    this.config = config;
    logs = ServerLogs.install(config.logging());
    ObjectMapper json = Json.newMapper();
    try {
      Files.createDirectories(config.home());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + config.home(), e);
    }
    if (!Files.isRegularFile(config.agentJar())) {
      throw new IllegalStateException(
          "guest agent jar not found at "
              + config.agentJar()
              + "; build it with 'mvn -pl agent -am package' or set COFFER_AGENT_JAR");
    }
    store =
        config.stateUrl().isPresent()
            ? StateStore.open(
                config.stateUrl().get(),
                config.stateUser().orElse(""),
                config.statePassword().orElse(""))
            : StateStore.embedded(config.home().resolve("state"));
    identity = new IdentityService(new JdbiIdentityRepository(store.jdbi()));
    DatastoreCatalog datastores =
        new DatastoreCatalog(new JdbiDatastoreRepository(store.jdbi()), EngineCatalog.load());
    datastores.discover();
    FlavorCatalog flavors = new FlavorCatalog();
    InstanceRepository instanceRows =
        new JdbiInstanceRepository(store.jdbi(), config.addressPool());
    JdbiTaskRepository taskRepository = new JdbiTaskRepository(store.jdbi());
    JdbiBackupRepository backupRepository = new JdbiBackupRepository(store.jdbi());
    JdbiClusterRepository clusterRepository = new JdbiClusterRepository(store.jdbi(), json);
    WebhookStore webhooks = new WebhookStore(store.jdbi());
    EventLog events = new EventLog(store.jdbi(), json, webhooks);
    statuses =
        new StatusWatcher(
            store.jdbi(),
            instanceRows,
            backupRepository::instancesWithRunningBackups,
            new ClusterStatuses(
                store.jdbi(),
                clusterRepository,
                instanceRows,
                backupRepository::instancesWithRunningBackups),
            events);
    instances = new WatchedInstances(instanceRows, statuses, events);
    JdbiLogArchiveRepository logArchiveRepository = new JdbiLogArchiveRepository(store.jdbi());
    JdbiReplicationRepository replicationRepository = new JdbiReplicationRepository(store.jdbi());
    InstanceLoads loads = new InstanceLoads();
    VolumeSamples volumeSamples = new VolumeSamples(store.jdbi());
    volumeSampler = new VolumeSampler(volumeSamples, config.capacity());
    AgentGateway agents =
        new AgentGateway(
            new JdbiCommandRepository(store.jdbi()),
            instances,
            json,
            logArchiveRepository::advance,
            (id, status) -> replicationRepository.recordStatus(id, status, Instant.now()),
            (id, heartbeat) -> {
              loads.record(id, heartbeat);
              volumeSampler.observed(id, heartbeat.volumeUsedBytes(), Instant.now());
            });
    FleetQueries fleet =
        new FleetQueries(store.jdbi(), instances, backupRepository::instancesWithRunningBackups);
    ControlPlaneMetrics metrics = new ControlPlaneMetrics(fleet, loads);
    int port = config.port() == 0 ? freePort() : config.port();
    String controlPlaneUrl =
        "http://" + (config.bind().equals("0.0.0.0") ? "127.0.0.1" : config.bind()) + ":" + port;
    compute =
        new LocalComputeDriver(
            config.home(),
            config.agentJar(),
            controlPlaneUrl,
            OsProcesses.isRoot() ? Optional.of("coffer") : Optional.empty(),
            config.loopVolumes(),
            json,
            config.logging().format());
    tasks = new TaskRunner(taskRepository, 8, metrics);
    ProjectQuotas quotas =
        new ProjectQuotas(new QuotaRepository(store.jdbi()), config.quotaDefaults());
    ExpiryRepository expiryRepository = new ExpiryRepository(store.jdbi());
    InstanceService service =
        new InstanceService(
            instances,
            datastores,
            flavors,
            tasks,
            Quotas.defaults(),
            json,
            backupRepository::instancesWithRunningBackups,
            compute,
            quotas,
            new InstanceExpiry(expiryRepository, config.evaluation()));
    Map<String, String> storeSettings = new java.util.TreeMap<>(config.backupStore());
    if ("file".equals(storeSettings.get("type"))) {
      storeSettings.putIfAbsent("path", config.home().resolve("backups").toString());
    }
    vault =
        new BackupVault(
            config
                .masterKey()
                .map(key -> MasterKeys.given(key, config.previousMasterKeys()))
                .orElseGet(
                    () ->
                        MasterKeys.inFile(
                            config.home().resolve("master.key"), config.previousMasterKeys())),
            BackupStoreConfig.fromMap(storeSettings));
    LogArchives logArchives =
        new LogArchives(logArchiveRepository, backupRepository, vault, instances, agents, json);
    JdbiBackupStrategyRepository strategies = new JdbiBackupStrategyRepository(store.jdbi());
    BackupService backups =
        new BackupService(
            backupRepository,
            service,
            vault,
            tasks,
            json,
            strategies,
            logArchives::prune,
            id -> replicationRepository.findMember(id).map(ReplicaMember::replicaOf),
            quotas);
    endpoints =
        new PrimaryEndpoints(
            config.bind().equals("0.0.0.0") ? "127.0.0.1" : config.bind(),
            replicationRepository,
            instances);
    ReplicationService replication =
        new ReplicationService(
            replicationRepository, instances, service, tasks, vault, json, endpoints);
    ReplicationTaskHandlers replicationTasks =
        new ReplicationTaskHandlers(
            replicationRepository,
            replication,
            instances,
            new InstancePlacement(instances, service, compute, agents),
            agents,
            backups,
            compute,
            endpoints,
            tasks,
            json,
            events);
    tasks.register(replicationTasks.all());
    failover = new FailoverMonitor(replicationRepository, replication, instances);
    ClusterService clusters =
        new ClusterService(clusterRepository, instances, service, tasks, vault, json);
    tasks.register(
        new ClusterTaskHandlers(
                clusterRepository,
                clusters,
                instances,
                new InstancePlacement(instances, service, compute, agents),
                agents,
                compute,
                json)
            .all());
    ConfigurationService configurations =
        new ConfigurationService(
            new JdbiConfigurationRepository(store.jdbi(), json), service, tasks, agents, json);
    tasks.register(List.of(new ConfigurationTaskHandler(configurations, instances, agents, json)));
    GuestLogService guestLogs = new GuestLogService(service, agents, vault, json);
    tasks.register(
        new InstanceTaskHandlers(
                instances,
                service,
                compute,
                agents,
                json,
                logArchives::beforeDelete,
                id -> {
                  replicationTasks.forget(id);
                  configurations.forget(id);
                  logArchives.prune(id);
                  guestLogs.forget(id);
                  volumeSampler.forget(id);
                },
                configurations::restarted)
            .all());
    tasks.register(
        List.of(
            new BackupTaskHandler(backupRepository, backups, vault, agents, json, events),
            new UpgradeTaskHandler(
                instances, service, backupRepository, taskRepository, compute, agents, json),
            new RestoreDrillHandler(backupRepository, backups, service, instances, agents, json),
            new ExpireTaskHandler(expiryRepository, instances, service, backups, events)));
    expiry = new ExpiryMonitor(expiryRepository, config.evaluation(), tasks, events);
    JdbiScheduleRepository schedules = new JdbiScheduleRepository(store.jdbi());
    scheduler = new BackupScheduler(schedules, backups, instances);
    sweeper = new StaleUploadSweeper(vault, config.staleUploadAge());
    reconciler =
        new Reconciler(
            instances, service, taskRepository, tasks, compute, agents, failover::holdsRestart);
    EventRoutes eventRoutes = new EventRoutes(events, instances, clusterRepository);
    alerts =
        new AlertEvaluator(
            fleet, loads, new ActiveAlerts(store.jdbi()), alerts(events, alsoTo), config.alerts());
    api =
        new ApiServer(
            json,
            List.of(
                new AuditRoutes(new AuditLog(store.jdbi()), json)::register,
                metrics::instrument,
                new Authentication(identity)::register,
                new IdentityRoutes(identity)::register,
                new DatastoreRoutes(datastores)::register,
                new FlavorRoutes(flavors)::register,
                new QuotaRoutes(quotas)::register,
                new InstanceRoutes(
                        service,
                        backups,
                        logArchives,
                        replication,
                        configurations,
                        new InstanceUpgrades(instances, service, backups, replication, tasks, json),
                        eventRoutes::recent)
                    ::register,
                new ConfigurationRoutes(configurations, datastores)::register,
                new ReplicationRoutes(replication)::register,
                new ClusterRoutes(clusters)::register,
                new GuestLogRoutes(guestLogs)::register,
                new MetricsRoutes(metrics, List.of(replication::writeMetrics))::register,
                new AlertRoutes(alerts)::register,
                new CapacityRoutes(
                        new CapacityService(volumeSamples, service, instances, config.capacity()))
                    ::register,
                new BackupRoutes(backups, service, datastores)::register,
                new BackupStrategyRoutes(strategies, service, vault)::register,
                new BackupKeyRoutes(new BackupKeys(vault, backupRepository, logArchiveRepository))
                    ::register,
                new ScheduleRoutes(schedules, service)::register,
                new DatabaseRoutes(service, agents, json)::register,
                new UserRoutes(service, agents, json)::register,
                eventRoutes::register,
                new WebhookRoutes(webhooks, vault)::register,
                new AgentRoutes(agents)::register,
                new ConsoleRoutes(identity, controlPlaneUrl, json)::register));
    deliverer = new WebhookDeliverer(webhooks, events, vault, json);
    api.start(config.bind(), port);
    tasks.start();
    reconciler.start(Duration.ofSeconds(5));
    scheduler.start(Duration.ofSeconds(1));
    sweeper.start(Duration.ofHours(1));
    endpoints.openAll();
    failover.start(Duration.ofSeconds(1));
    statuses.start(Duration.ofSeconds(1));
    deliverer.start(Duration.ofSeconds(1));
    expiry.start(Duration.ofSeconds(1));
    volumeSampler.start();
    alerts.start();
  }

  /** Alerts go to the event log (and its webhooks) and, in tests, to one more sink. */
  private static EventSink alerts(EventSink log, EventSink alsoTo) {
    return event -> {
      log.publish(event);
      alsoTo.publish(event);
    };
  }

  public static Coffer start(ServerConfig config) {
    return start(config, EventSink.NONE);
  }

  public static Coffer start(ServerConfig config, EventSink events) {
    return new Coffer(config, events);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return api.port();
  }

  public String apiUrl() {
    return "http://" + config.bind() + ":" + port();
  }

  public IdentityService identity() {
    return identity;
  }

  public ComputeDriver compute() {
    return compute;
  }

  public InstanceRepository instances() {
    return instances;
  }

  public List<ApiServer.Route> routes() {
    return api.routes();
  }

  public Path home() {
    return config.home();
  }

  /** Stops the control plane; instances keep running (their agents reconnect on next start). */
  @Override
  public void close() {
    deliverer.close();
    statuses.close();
    expiry.close();
    alerts.close();
    volumeSampler.close();
    failover.close();
    endpoints.close();
    sweeper.close();
    scheduler.close();
    reconciler.close();
    api.stop();
    tasks.close();
    vault.close();
    store.close();
    logs.close();
  }
}

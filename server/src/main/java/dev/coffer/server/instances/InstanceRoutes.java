package dev.coffer.server.instances;

import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.agent.RestoreRequest;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.backups.Backup;
import dev.coffer.server.backups.BackupService;
import dev.coffer.server.backups.LogArchives;
import dev.coffer.server.configurations.ConfigurationGroup;
import dev.coffer.server.configurations.ConfigurationService;
import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.flavors.Flavor;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.http.Links;
import dev.coffer.server.http.Wire;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.replication.ReplicaMember;
import dev.coffer.server.replication.ReplicationService;
import dev.coffer.server.users.GuestNames;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Trove's instance API: create, list, show, update, delete and actions. */
public final class InstanceRoutes {
  private final InstanceService service;
  private final BackupService backups;
  private final LogArchives logArchives;
  private final ReplicationService replication;
  private final ConfigurationService configurations;
  private final InstanceUpgrades upgrades;

  private final java.util.function.Function<Instance, List<Map<String, Object>>> recentEvents;

  public InstanceRoutes(
      InstanceService service,
      BackupService backups,
      LogArchives logArchives,
      ReplicationService replication,
      ConfigurationService configurations,
      InstanceUpgrades upgrades) {
    this(service, backups, logArchives, replication, configurations, upgrades, i -> List.of());
  }

  /**
   * @param recentEvents an instance's latest events, newest first, shown in its detail as {@code
   *     recent_events}
   */
  public InstanceRoutes(
      InstanceService service,
      BackupService backups,
      LogArchives logArchives,
      ReplicationService replication,
      ConfigurationService configurations,
      InstanceUpgrades upgrades,
      java.util.function.Function<Instance, List<Map<String, Object>>> recentEvents) {
    this.recentEvents = recentEvents;
    this.service = service;
    this.backups = backups;
    this.logArchives = logArchives;
    this.replication = replication;
    this.configurations = configurations;
    this.upgrades = upgrades;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/instances";
    app.post(base, this::create);
    app.get(base, this::list);
    app.get(base + "/{id}", this::show);
    app.put(base + "/{id}", this::update);
    app.patch(base + "/{id}", this::update);
    app.delete(base + "/{id}", this::delete);
    app.post(base + "/{id}/action", this::action);
    app.get("/v1.0/{project_id}/mgmt/instances", this::listAllProjects);
  }

  /** Trove's mgmt list: every project's instances, each naming its project in tenant_id. */
  private void listAllProjects(Context ctx) {
    List<Map<String, Object>> views = new ArrayList<>();
    for (Instance i : service.listAllProjects(Authentication.principal(ctx))) {
      views.add(view(ctx, i, false));
    }
    ctx.json(Map.of("instances", views));
  }

  private void create(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Fields body = Fields.body(ctx, "instance");
    if (body.has("replica_of") && !body.isNull("replica_of")) {
      Instance replica = replication.createReplicas(principal, body);
      ctx.status(200).json(Map.of("instance", view(ctx, replica, true)));
      return;
    }
    for (String unsupported : List.of("locality", "modules")) {
      if (body.has(unsupported) && !body.isNull(unsupported)) {
        throw Fields.invalid(body.at(unsupported), "is not supported by this Coffer yet");
      }
    }
    String name = body.name("name");
    String flavorRef =
        body.optionalReference("flavorRef")
            .orElseThrow(() -> Fields.invalid(body.at("flavorRef"), "is a required property"));
    Flavor flavor =
        service
            .flavors()
            .resolve(flavorRef)
            .orElseThrow(
                () ->
                    Fields.invalid(
                        body.at("flavorRef"),
                        "'" + flavorRef + "' is not a known flavor; see GET /flavors"));
    int size =
        body.optionalObject("volume")
            .map(
                v ->
                    v.optionalInteger("size", 1, Integer.MAX_VALUE)
                        .orElseThrow(() -> Fields.invalid(v.at("size"), "is a required property")))
            .orElse(1);
    Optional<Fields> datastore = body.optionalObject("datastore");
    Optional<Fields> restorePoint = body.optionalObject("restorePoint");
    RestoreRequest restore = null;
    DatastoreVersion version;
    if (restorePoint.isPresent()) {
      Fields point = restorePoint.get();
      String backupRef = point.string("backupRef", 64);
      Optional<String> restoreTime = point.optionalString("restore_time", 64);
      Backup backup = backups.get(principal, backupRef);
      restore = backups.restoreRequest(principal, backupRef);
      version = service.datastores().version(backup.datastoreVersionId(), true);
      if (restoreTime.isPresent()) {
        DatastoreDescriptor source = service.datastores().descriptor(version.datastoreName());
        if (!source.supports(Capability.POINT_IN_TIME_RECOVERY)) {
          throw ApiException.notSupported(Capability.POINT_IN_TIME_RECOVERY, source.name());
        }
        restore =
            new RestoreRequest(
                restore.store(),
                restore.chain(),
                logArchives.pointInTime(backup, restoreTime.get(), point.at("restore_time")));
      }
      Optional<String> type = datastore.flatMap(d -> d.optionalString("type", 64));
      if (type.isPresent() && !type.get().equals(version.datastoreName())) {
        throw Fields.invalid(
            body.at("datastore") + "['type']",
            "'"
                + type.get()
                + "' does not match the backup's datastore '"
                + version.datastoreName()
                + "'");
      }
      if (backup.plainBytes() != null && backup.plainBytes() > ((long) size << 30)) {
        throw new ApiException.Forbidden(
            "Backup is too large for given flavor or volume. Backup data size is "
                + Math.ceil(backup.plainBytes() / (1024.0 * 1024 * 1024))
                + " GB, volume size is "
                + size
                + " GB.");
      }
      if (!body.objects("databases", 100).isEmpty() || !body.objects("users", 100).isEmpty()) {
        throw new ApiException.BadRequest(
            "Validation error: instance['databases'] and instance['users'] cannot be given with instance['restorePoint']; they come from the backup.");
      }
    } else {
      version =
          service
              .datastores()
              .forNewInstance(
                  principal.projectId(),
                  datastore.flatMap(d -> d.optionalString("type", 64)),
                  datastore.flatMap(d -> d.optionalString("version", 64)));
    }
    DatastoreDescriptor descriptor = service.datastores().descriptor(version.datastoreName());
    List<DatabaseSpec> databases = new ArrayList<>();
    Set<String> databaseNames = new HashSet<>();
    List<Fields> dbFields = body.objects("databases", 100);
    if (!dbFields.isEmpty() && !descriptor.supports(Capability.DATABASES)) {
      throw ApiException.notSupported(Capability.DATABASES, descriptor.name());
    }
    for (Fields db : dbFields) {
      DatabaseSpec spec = GuestNames.database(db, descriptor);
      if (!databaseNames.add(spec.name())) {
        throw Fields.invalid(db.at("name"), "'" + spec.name() + "' is listed twice");
      }
      databases.add(spec);
    }
    List<UserSpec> users = new ArrayList<>();
    Set<String> userKeys = new HashSet<>();
    List<Fields> userFields = body.objects("users", 100);
    if (!userFields.isEmpty() && !descriptor.supports(Capability.USERS)) {
      throw ApiException.notSupported(Capability.USERS, descriptor.name());
    }
    for (Fields user : userFields) {
      UserSpec spec = GuestNames.user(user, descriptor);
      if (!userKeys.add(spec.name() + "@" + spec.host())) {
        throw Fields.invalid(user.at("name"), "'" + spec.name() + "' is listed twice");
      }
      for (String db : spec.databases()) {
        if (!databaseNames.contains(db)) {
          throw Fields.invalid(
              user.at("databases"), "'" + db + "' is not among instance['databases']");
        }
      }
      users.add(spec);
    }
    boolean isPublic = false;
    List<String> cidrs = List.of();
    Optional<Fields> access = body.optionalObject("access");
    if (access.isPresent()) {
      isPublic = access.get().optionalBoolean("is_public").orElse(false);
      cidrs = cidrs(access.get());
    }
    Optional<ConfigurationGroup> configuration =
        body.has("configuration") && !body.isNull("configuration")
            ? Optional.of(
                configurations.forNewInstance(
                    principal, body.string("configuration", 64), version, body.at("configuration")))
            : Optional.empty();
    Optional<LogArchives.NewArchive> logArchive =
        descriptor.supports(Capability.POINT_IN_TIME_RECOVERY)
            ? Optional.of(logArchives.create())
            : Optional.empty();
    Optional<Integer> expiresInHours =
        body.optionalInteger("expires_in_hours", 1, InstanceExpiry.MAX_REQUESTED_HOURS);
    Instance created =
        service.create(
            principal,
            new InstanceService.CreateRequest(
                name,
                flavor,
                size,
                version,
                new PrepareRequest(
                    databases,
                    users,
                    restore,
                    logArchive.map(LogArchives.NewArchive::forAgent).orElse(null),
                    null,
                    configuration
                        .map(g -> ConfigurationService.agentValues(g.values()))
                        .orElse(null)),
                isPublic,
                cidrs),
            expiresInHours);
    logArchive.ifPresent(a -> logArchives.register(created.id(), created.projectId(), a));
    configuration.ifPresent(group -> configurations.createdWith(created, group));
    if (body.optionalBoolean("deletion_protection").orElse(false)) {
      service.setDeletionProtection(principal, created.id(), true);
    }
    ctx.status(200).json(Map.of("instance", view(ctx, created, true)));
  }

  private static List<String> cidrs(Fields access) {
    List<String> cidrs = access.strings("allowed_cidrs", 50, 43);
    for (int i = 0; i < cidrs.size(); i++) {
      if (!isNetwork(cidrs.get(i))) {
        throw Fields.invalid(
            access.at("allowed_cidrs") + "[" + i + "]", "must be an IP network such as 10.0.0.0/8");
      }
    }
    return cidrs;
  }

  /** An IPv4 or IPv6 address with an optional prefix length that fits it. */
  static boolean isNetwork(String cidr) {
    String[] parts = cidr.split("/", -1);
    if (parts.length > 2) {
      return false;
    }
    boolean v4 = parts[0].matches("(\\d{1,3}\\.){3}\\d{1,3}");
    if (v4) {
      for (String octet : parts[0].split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return false;
        }
      }
    } else if (!parts[0].matches("[0-9a-fA-F:]+") || !parts[0].contains(":")) {
      return false;
    }
    if (parts.length == 2) {
      if (!parts[1].matches("\\d{1,3}")) {
        return false;
      }
      return Integer.parseInt(parts[1]) <= (v4 ? 32 : 128);
    }
    return true;
  }

  private void list(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    int limit = Wire.limit(ctx.queryParam("limit"));
    Optional<String> marker =
        Optional.ofNullable(ctx.queryParam("marker")).filter(m -> !m.isBlank());
    // Trove's client always sends include_clustered=False or True.
    boolean includeClustered = "true".equalsIgnoreCase(ctx.queryParam("include_clustered"));
    List<Instance> page = service.list(principal, limit + 1, marker, includeClustered);
    List<Map<String, Object>> views = new ArrayList<>();
    for (int i = 0; i < Math.min(limit, page.size()); i++) {
      views.add(view(ctx, page.get(i), false));
    }
    List<Map<String, String>> links = new ArrayList<>();
    if (page.size() > limit) {
      String next = page.get(limit - 1).id();
      links.add(
          Map.of(
              "href",
              ctx.scheme()
                  + "://"
                  + ctx.host()
                  + "/v1.0/"
                  + principal.projectId()
                  + "/instances?limit="
                  + limit
                  + "&marker="
                  + next
                  + (includeClustered ? "&include_clustered=True" : ""),
              "rel",
              "next"));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("instances", views);
    body.put("links", links);
    ctx.json(body);
  }

  private void show(Context ctx) {
    Instance instance = service.get(Authentication.principal(ctx), ctx.pathParam("id"));
    Map<String, Object> view = view(ctx, instance, true);
    view.put("recent_events", recentEvents.apply(instance));
    ctx.json(Map.of("instance", view));
  }

  private void update(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String id = ctx.pathParam("id");
    service.get(principal, id);
    Fields body = Fields.body(ctx, "instance");
    List<String> others = new ArrayList<>();
    body.node()
        .fieldNames()
        .forEachRemaining(
            f -> {
              if (!f.equals("name")) {
                others.add(f);
              }
            });
    if (others.size() > 1) {
      throw new ApiException.BadRequest("Only one attribute (except 'name') is allowed to update.");
    }
    if (others.contains("configuration")) {
      // Trove: a group id attaches it, null detaches it.
      if (body.isNull("configuration")) {
        configurations.detach(principal, id);
      } else {
        configurations.attach(principal, id, body.string("configuration", 64));
      }
      body.optionalName("name").ifPresent(n -> service.rename(principal, id, n));
      ctx.status(202);
      return;
    }
    if (others.isEmpty() && !body.has("name")) {
      // Trove: an empty instance object detaches the configuration group.
      configurations.detach(principal, id);
      ctx.status(202);
      return;
    }
    if (others.contains("replica_of") || others.contains("slave_of")) {
      // Trove: the key's presence (usually with null) detaches the replica.
      replication.detach(principal, id);
      ctx.status(202);
      return;
    }
    if (others.contains("datastore_version")) {
      // Trove's upgrade: a version name (or id) of the instance's datastore.
      upgrades.upgrade(principal, id, body.string("datastore_version", 64));
      body.optionalName("name").ifPresent(n -> service.rename(principal, id, n));
      ctx.status(202);
      return;
    }
    if (others.contains("deletion_protection")) {
      // Native, like RDS's DeletionProtection.
      boolean protect =
          body.optionalBoolean("deletion_protection")
              .orElseThrow(
                  () -> Fields.invalid(body.at("deletion_protection"), "must be true or false"));
      service.setDeletionProtection(principal, id, protect);
      body.optionalName("name").ifPresent(n -> service.rename(principal, id, n));
      ctx.status(202);
      return;
    }
    for (String other : others) {
      if (!other.equals("access")) {
        throw Fields.invalid(body.at(other), "cannot be updated by this Coffer yet");
      }
    }
    Optional<String> name = body.optionalName("name");
    Optional<Fields> access = body.optionalObject("access");
    if (name.isEmpty() && access.isEmpty()) {
      throw new ApiException.BadRequest(
          "Validation error: instance needs 'name' or 'access' to update.");
    }
    List<String> cidrs = access.map(InstanceRoutes::cidrs).orElse(List.of());
    boolean isPublic = access.flatMap(a -> a.optionalBoolean("is_public")).orElse(false);
    name.ifPresent(n -> service.rename(principal, id, n));
    if (access.isPresent()) {
      service.setAccess(principal, id, isPublic, cidrs);
    }
    ctx.status(202);
  }

  private void delete(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Instance instance = service.get(principal, ctx.pathParam("id"));
    requireNotClustered(instance);
    replication.checkDeletable(instance);
    service.delete(principal, ctx.pathParam("id"));
    ctx.status(202);
  }

  private void action(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String id = ctx.pathParam("id");
    service.get(principal, id);
    Fields body = Fields.body(ctx);
    List<String> keys = new ArrayList<>();
    body.node().fieldNames().forEachRemaining(keys::add);
    if (keys.size() != 1) {
      throw new ApiException.BadRequest(
          "Validation error: the action body must have exactly one key, such as {\"restart\": {}}.");
    }
    switch (keys.get(0)) {
      case "restart" -> service.restart(principal, id);
      case "promote_to_replica_source" -> replication.promote(principal, id);
      case "eject_replica_source" -> replication.eject(principal, id);
      case "resize" -> {
        requireNotClustered(service.get(principal, id));
        resize(principal, id, body.object("resize"));
      }
      case "extend" -> {
        // Native: an admin gives an expiring instance more time.
        Fields extend = body.object("extend");
        int hours =
            extend
                .optionalInteger("hours", 1, InstanceExpiry.MAX_REQUESTED_HOURS)
                .orElseThrow(() -> Fields.invalid(extend.at("hours"), "is a required property"));
        service.expiry().extend(principal, service.get(principal, id), hours);
      }
      case "reset_status" -> {
        service.resetStatus(principal, id);
        // Trove fails the instance's unfinished backups with it
        backups.failRunning(id, "The instance's status was reset by an administrator.");
      }
      default -> throw new ApiException.BadRequest("Action " + keys.get(0) + " not supported.");
    }
    ctx.status(202);
  }

  /**
   * Trove refuses deleting or resizing a cluster's member on its own (its cluster's shrink and
   * delete do it); Trove answers 501, Coffer 400 with the same message.
   */
  private void requireNotClustered(Instance instance) {
    if (service.clusterOf(instance).isPresent()) {
      throw new ApiException.BadRequest(
          "Operation not supported for instances that are part of a cluster.");
    }
  }

  /**
   * Trove's {@code replica_of} and {@code replicas} links, and (native, in show) the engine's role,
   * lag and the set's stable primary endpoint.
   */
  private void replicationView(Context ctx, Instance i, boolean detailed, Map<String, Object> m) {
    Optional<ReplicaMember> member = replication.member(i.id());
    if (member.isEmpty()) {
      return;
    }
    String project = i.projectId();
    if (member.get().replicaOf() != null) {
      m.put(
          "replica_of",
          Map.of(
              "id",
              member.get().replicaOf(),
              "links",
              Links.of(ctx, project, "instances/" + member.get().replicaOf())));
    }
    List<ReplicaMember> members = replication.members(member.get().setId());
    List<Map<String, Object>> replicas = new ArrayList<>();
    for (ReplicaMember r : members) {
      if (i.id().equals(r.replicaOf())) {
        replicas.add(
            Map.of(
                "id",
                r.instanceId(),
                "links",
                Links.of(ctx, project, "instances/" + r.instanceId())));
      }
    }
    if (!replicas.isEmpty()) {
      m.put("replicas", replicas);
    }
    if (!detailed) {
      return;
    }
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("set_id", member.get().setId());
    state.put("role", member.get().role() == null ? null : member.get().role().toLowerCase());
    state.put("connected", member.get().connected());
    state.put("lag_seconds", member.get().lagSeconds());
    state.put("position", member.get().position());
    state.put(
        "reported",
        member.get().reportedAt() == null ? null : Wire.time(member.get().reportedAt()));
    state.put("pending_rejoin", member.get().needsRejoin());
    replication
        .endpoint(member.get().setId())
        .ifPresent(e -> state.put("primary_endpoint", Map.of("host", e.host(), "port", e.port())));
    m.put("replication", state);
  }

  /**
   * Trove's {@code {"resize": {"volume": {"size": N}}}} and {@code {"resize": {"flavorRef": F}}}.
   */
  private void resize(Principal principal, String id, Fields resize) {
    if (resize.has("volume")) {
      int size =
          resize
              .object("volume")
              .optionalInteger("size", 1, Integer.MAX_VALUE)
              .orElseThrow(
                  () -> Fields.invalid(resize.at("volume") + "['size']", "is a required property"));
      service.resizeVolume(principal, id, size);
    } else if (resize.has("flavorRef")) {
      String reference =
          resize
              .optionalReference("flavorRef")
              .orElseThrow(() -> Fields.invalid(resize.at("flavorRef"), "is a required property"));
      Flavor flavor =
          service
              .flavors()
              .resolve(reference)
              .orElseThrow(
                  () ->
                      new ApiException.NotFound(
                          "Flavor '" + reference + "' cannot be found; see GET /flavors."));
      service.resizeFlavor(principal, id, flavor);
    } else {
      throw new ApiException.BadRequest("Validation error: resize needs 'volume' or 'flavorRef'.");
    }
  }

  Map<String, Object> view(Context ctx, Instance i, boolean detailed) {
    Instant now = Instant.now();
    String project = i.projectId();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", i.id());
    m.put("name", i.name());
    String status = StatusRules.status(i, now, service.backupRunning(i));
    if (status.equals("ACTIVE") && configurations.restartPending(i.id())) {
      status = "RESTART_REQUIRED";
    }
    m.put("status", status);
    m.put("operating_status", StatusRules.operatingStatus(i, now));
    m.put("links", Links.of(ctx, project, "instances/" + i.id()));
    m.put(
        "flavor",
        Map.of("id", i.flavorId(), "links", Links.of(ctx, project, "flavors/" + i.flavorId())));
    DatastoreVersion version = service.version(i);
    Map<String, Object> ds = new LinkedHashMap<>();
    ds.put("type", version.datastoreName());
    ds.put("version", version.name());
    ds.put("version_number", version.name());
    m.put("datastore", ds);
    m.put("region", "local");
    m.put("access", Map.of("is_public", i.isPublic(), "allowed_cidrs", i.allowedCidrs()));
    Map<String, Object> volume = new LinkedHashMap<>();
    volume.put("size", i.volumeSize());
    if (i.volumeUsedBytes() != null) {
      volume.put("used", Math.round(i.volumeUsedBytes() / (1024.0 * 1024 * 1024) * 1000) / 1000.0);
    }
    m.put("volume", volume);
    if (i.address() != null) {
      m.put("ip", List.of(i.address()));
      m.put(
          "addresses",
          List.of(Map.of("address", i.address(), "type", "private", "network", "loopback")));
    }
    m.put("tenant_id", project);
    service
        .clusterOf(i)
        .ifPresent(
            c -> {
              m.put("cluster_id", c.clusterId());
              m.put("type", c.type());
            });
    if (detailed) {
      m.put("deletion_protection", service.hasDeletionProtection(i));
      // Native: when the instance expires (evaluation versions) and how far its expiry has gone.
      service
          .expiry()
          .of(i)
          .ifPresent(
              e -> {
                m.put("expires_at", Wire.time(e.expiresAt()));
                Map<String, Object> expiry = new LinkedHashMap<>();
                expiry.put("warned_at", e.warnedAt() == null ? null : Wire.time(e.warnedAt()));
                expiry.put(
                    "state", e.state() == null ? "waiting" : e.state().toLowerCase(Locale.ROOT));
                expiry.put("backup_id", e.backupId());
                m.put("expiry", expiry);
              });
      m.put("created", Wire.time(i.createdAt()));
      m.put("updated", Wire.time(i.updatedAt()));
      m.put("service_status_updated", Wire.time(i.serviceStatusUpdated()));
      // Native extension: how far back and forward a restore_time may go (like RDS).
      logArchives
          .latestRestorableTime(i.id())
          .ifPresent(t -> m.put("latest_restorable_time", Wire.time(t)));
    }
    if (i.address() != null && i.port() != null) {
      m.put("endpoint", Map.of("host", i.address(), "port", i.port()));
      m.put(
          "connection",
          service
              .descriptorOf(i)
              .clientHint()
              .replace("{host}", i.address())
              .replace("{port}", Integer.toString(i.port())));
    }
    replicationView(ctx, i, detailed, m);
    configurations
        .attachedGroup(i)
        .ifPresent(
            g ->
                m.put(
                    "configuration",
                    Map.of(
                        "id",
                        g.id(),
                        "name",
                        g.name(),
                        "links",
                        Links.of(ctx, project, "configurations/" + g.id()))));
    if (i.faultMessage() != null) {
      Map<String, Object> fault = new LinkedHashMap<>();
      fault.put("message", i.faultMessage());
      fault.put("created", Wire.time(i.faultAt()));
      fault.put("details", "");
      m.put("fault", fault);
    }
    return m;
  }
}

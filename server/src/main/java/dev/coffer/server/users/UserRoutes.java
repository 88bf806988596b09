package dev.coffer.server.users;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.RootRequest;
import dev.coffer.api.agent.RootStatus;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import dev.coffer.api.datastores.Capability;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.instances.GuestTarget;
import dev.coffer.server.instances.InstanceService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Trove's users, user access and root API, executed by the instance's agent. */
public final class UserRoutes {
  private static final Logger log = LoggerFactory.getLogger(UserRoutes.class);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final InstanceService instances;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public UserRoutes(InstanceService instances, AgentGateway agents, ObjectMapper json) {
    this.instances = instances;
    this.agents = agents;
    this.json = json;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/instances/{id}";
    app.post(base + "/users", this::create);
    app.get(base + "/users", this::list);
    app.get(base + "/users/{user}", this::show);
    app.put(base + "/users/{user}", this::update);
    app.delete(base + "/users/{user}", this::delete);
    app.get(base + "/users/{user}/databases", this::listAccess);
    app.put(base + "/users/{user}/databases", this::grant);
    app.delete(base + "/users/{user}/databases/{db}", this::revoke);
    app.get(base + "/root", this::rootStatus);
    app.post(base + "/root", this::enableRoot);
    app.delete(base + "/root", this::disableRoot);
  }

  private GuestTarget target(Context ctx, Capability capability) {
    return instances.guestTarget(Authentication.principal(ctx), ctx.pathParam("id"), capability);
  }

  private <T> T call(GuestTarget target, CommandType type, Object payload, JavaType resultType) {
    instances.requireGuestReady(target.instance());
    return agents.call(target.instance(), type, payload, resultType, CALL_TIMEOUT);
  }

  /** A change: on a cluster's member, made on every member (see repeatOnClusterPeers). */
  private void change(GuestTarget target, CommandType type, Object payload) {
    call(target, type, payload, null);
    instances.repeatOnClusterPeers(
        target.instance(), peer -> agents.call(peer, type, payload, null, CALL_TIMEOUT));
  }

  private void create(Context ctx) {
    GuestTarget target = target(ctx, Capability.USERS);
    List<Fields> items = Fields.body(ctx).objects("users", 100);
    if (items.isEmpty()) {
      throw Fields.invalid("users", "must list at least one user");
    }
    List<UserSpec> users = new ArrayList<>();
    for (Fields item : items) {
      users.add(GuestNames.user(item, target.datastore()));
    }
    change(target, CommandType.CREATE_USERS, users);
    log.info(
        "event=users_created instance={} users={}",
        target.instance().id(),
        users.stream().map(u -> u.name() + "@" + u.host()).toList());
    ctx.status(202);
  }

  private void list(Context ctx) {
    GuestTarget target = target(ctx, Capability.USERS);
    List<UserInfo> users = call(target, CommandType.LIST_USERS, null, listOf(UserInfo.class));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(
        "users", users == null ? List.of() : users.stream().map(UserRoutes::userView).toList());
    body.put("links", List.of());
    ctx.json(body);
  }

  private UserRef ref(Context ctx, GuestTarget target) {
    return GuestNames.userRef(ctx.pathParam("user"), target.datastore());
  }

  private void show(Context ctx) {
    GuestTarget target = target(ctx, Capability.USERS);
    UserInfo user = call(target, CommandType.GET_USER, ref(ctx, target), type(UserInfo.class));
    ctx.json(Map.of("user", userView(user)));
  }

  private void update(Context ctx) {
    GuestTarget target = target(ctx, Capability.USERS);
    UserRef user = ref(ctx, target);
    Fields body = Fields.body(ctx, "user");
    Optional<String> newName = body.optionalString("name", 255);
    newName.ifPresent(n -> GuestNames.checkUserName(body.at("name"), n, target.datastore()));
    Optional<String> newHost = body.optionalString("host", 60);
    newHost.ifPresent(
        h -> {
          if (!h.equals("%") && !target.datastore().supports(Capability.USER_HOSTS)) {
            throw Fields.invalid(
                body.at("host"),
                "is not supported for the '" + target.datastore().name() + "' datastore");
          }
          GuestNames.checkHost(body.at("host"), h);
        });
    Optional<String> password = GuestNames.password(body, "password", false);
    if (newName.isEmpty() && newHost.isEmpty() && password.isEmpty()) {
      throw new ApiException.BadRequest(
          "Validation error: user needs 'name', 'host' or 'password' to update.");
    }
    change(
        target,
        CommandType.UPDATE_USER,
        new UserUpdate(user, newName.orElse(null), newHost.orElse(null), password.orElse(null)));
    log.info(
        "event=user_updated instance={} user={}@{}",
        target.instance().id(),
        user.name(),
        user.host());
    ctx.status(202);
  }

  private void delete(Context ctx) {
    GuestTarget target = target(ctx, Capability.USERS);
    UserRef user = ref(ctx, target);
    change(target, CommandType.DELETE_USER, user);
    log.info(
        "event=user_deleted instance={} user={}@{}",
        target.instance().id(),
        user.name(),
        user.host());
    ctx.status(202);
  }

  private void listAccess(Context ctx) {
    GuestTarget target = target(ctx, Capability.USER_ACCESS);
    UserInfo user = call(target, CommandType.GET_USER, ref(ctx, target), type(UserInfo.class));
    ctx.json(Map.of("databases", user.databases().stream().map(d -> Map.of("name", d)).toList()));
  }

  private void grant(Context ctx) {
    GuestTarget target = target(ctx, Capability.USER_ACCESS);
    UserRef user = ref(ctx, target);
    List<Fields> dbs = Fields.body(ctx).objects("databases", 100);
    if (dbs.isEmpty()) {
      throw Fields.invalid("databases", "must list at least one database");
    }
    List<String> names = new ArrayList<>();
    for (Fields db : dbs) {
      String name = db.string("name", 255);
      GuestNames.checkDatabaseName(db.at("name"), name, target.datastore());
      names.add(name);
    }
    change(target, CommandType.GRANT_ACCESS, new AccessChange(user, names));
    log.info(
        "event=access_granted instance={} user={}@{} databases={}",
        target.instance().id(),
        user.name(),
        user.host(),
        names);
    ctx.status(202);
  }

  private void revoke(Context ctx) {
    GuestTarget target = target(ctx, Capability.USER_ACCESS);
    UserRef user = ref(ctx, target);
    String db = ctx.pathParam("db");
    GuestNames.checkDatabaseName("database", db, target.datastore());
    change(target, CommandType.REVOKE_ACCESS, new AccessChange(user, List.of(db)));
    log.info(
        "event=access_revoked instance={} user={}@{} database={}",
        target.instance().id(),
        user.name(),
        user.host(),
        db);
    ctx.status(202);
  }

  private void rootStatus(Context ctx) {
    GuestTarget target = target(ctx, Capability.ROOT);
    RootStatus status = call(target, CommandType.ROOT_STATUS, null, type(RootStatus.class));
    ctx.json(Map.of("rootEnabled", status != null && status.enabled()));
  }

  private void enableRoot(Context ctx) {
    GuestTarget target = target(ctx, Capability.ROOT);
    Optional<String> password = Optional.empty();
    if (ctx.bodyAsBytes().length > 0) {
      password = GuestNames.password(Fields.body(ctx), "password", false);
    }
    RootCredentials credentials =
        call(
            target,
            CommandType.ENABLE_ROOT,
            new RootRequest(password.orElse(null)),
            type(RootCredentials.class));
    // Every member of a cluster gets the same root password.
    instances.repeatOnClusterPeers(
        target.instance(),
        peer ->
            agents.call(
                peer,
                CommandType.ENABLE_ROOT,
                new RootRequest(credentials.password()),
                null,
                CALL_TIMEOUT));
    log.info("event=root_enabled instance={}", target.instance().id());
    ctx.status(200)
        .json(
            Map.of("user", Map.of("name", credentials.name(), "password", credentials.password())));
  }

  private void disableRoot(Context ctx) {
    GuestTarget target = target(ctx, Capability.ROOT);
    change(target, CommandType.DISABLE_ROOT, null);
    log.info("event=root_disabled instance={}", target.instance().id());
    ctx.status(204);
  }

  static Map<String, Object> userView(UserInfo user) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", user.name());
    m.put("host", user.host() == null ? "%" : user.host());
    m.put(
        "databases",
        user.databases() == null
            ? List.of()
            : user.databases().stream().map(d -> Map.of("name", d)).toList());
    return m;
  }

  private JavaType type(Class<?> c) {
    return json.getTypeFactory().constructType(c);
  }

  private JavaType listOf(Class<?> c) {
    return json.getTypeFactory().constructCollectionType(List.class, c);
  }
}

package dev.coffer.server.databases;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.CommandType;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.datastores.Capability;
import dev.coffer.server.agents.AgentGateway;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.instances.GuestTarget;
import dev.coffer.server.instances.InstanceService;
import dev.coffer.server.users.GuestNames;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Trove's databases API, executed by the instance's agent. */
public final class DatabaseRoutes {
  private static final Logger log = LoggerFactory.getLogger(DatabaseRoutes.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final InstanceService instances;
  private final AgentGateway agents;
  private final ObjectMapper json;

  public DatabaseRoutes(InstanceService instances, AgentGateway agents, ObjectMapper json) {
    this.instances = instances;
    this.agents = agents;
    this.json = json;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/instances/{id}/databases";
    app.post(base, this::create);
    app.get(base, this::list);
    app.delete(base + "/{db}", this::delete);
  }

  private GuestTarget target(Context ctx) {
    return instances.guestTarget(
        Authentication.principal(ctx), ctx.pathParam("id"), Capability.DATABASES);
  }

  private void create(Context ctx) {
    GuestTarget target = target(ctx);
    List<Fields> items = Fields.body(ctx).objects("databases", 100);
    if (items.isEmpty()) {
      throw Fields.invalid("databases", "must list at least one database");
    }
    List<DatabaseSpec> databases = new ArrayList<>();
    for (Fields item : items) {
      databases.add(GuestNames.database(item, target.datastore()));
    }
    instances.requireGuestReady(target.instance());
    agents.call(target.instance(), CommandType.CREATE_DATABASES, databases, null, CALL_TIMEOUT);
    instances.repeatOnClusterPeers(
        target.instance(),
        peer -> agents.call(peer, CommandType.CREATE_DATABASES, databases, null, CALL_TIMEOUT));
    log.info(
        "event=databases_created instance={} databases={}",
        target.instance().id(),
        databases.stream().map(DatabaseSpec::name).toList());
    ctx.status(202);
  }

  private void list(Context ctx) {
    GuestTarget target = target(ctx);
    instances.requireGuestReady(target.instance());
    List<DatabaseSpec> databases =
        agents.call(
            target.instance(),
            CommandType.LIST_DATABASES,
            null,
            json.getTypeFactory().constructCollectionType(List.class, DatabaseSpec.class),
            CALL_TIMEOUT);
    List<Map<String, Object>> views = new ArrayList<>();
    for (DatabaseSpec db : databases == null ? List.<DatabaseSpec>of() : databases) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", db.name());
      if (db.characterSet() != null) {
        m.put("character_set", db.characterSet());
      }
      if (db.collate() != null) {
        m.put("collate", db.collate());
      }
      views.add(m);
    }
    ctx.json(Map.of("databases", views, "links", List.of()));
  }

  private void delete(Context ctx) {
    GuestTarget target = target(ctx);
    String name = ctx.pathParam("db");
    GuestNames.checkDatabaseName("database", name, target.datastore());
    instances.requireGuestReady(target.instance());
    agents.call(
        target.instance(),
        CommandType.DELETE_DATABASE,
        DatabaseSpec.named(name),
        null,
        CALL_TIMEOUT);
    instances.repeatOnClusterPeers(
        target.instance(),
        peer ->
            agents.call(
                peer, CommandType.DELETE_DATABASE, DatabaseSpec.named(name), null, CALL_TIMEOUT));
    log.info("event=database_deleted instance={} database={}", target.instance().id(), name);
    ctx.status(202);
  }
}

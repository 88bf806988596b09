package dev.coffer.server.backups;

import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.InstanceService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trove's {@code /backup_strategies}: which container later backups of an instance, or of the whole
 * project, are written to. The instance's strategy beats the project's, which beats the store's
 * root; a backup keeps the place it was written to.
 */
public final class BackupStrategyRoutes {
  private static final Logger log = LoggerFactory.getLogger(BackupStrategyRoutes.class);

  private final BackupStrategyRepository strategies;
  private final InstanceService instances;
  private final BackupVault vault;

  public BackupStrategyRoutes(
      BackupStrategyRepository strategies, InstanceService instances, BackupVault vault) {
    this.strategies = strategies;
    this.instances = instances;
    this.vault = vault;
  }

  public void register(Javalin app) {
    String path = "/v1.0/{project_id}/backup_strategies";
    app.post(path, this::create);
    app.get(path, this::list);
    app.delete(path, this::delete);
  }

  private void create(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Fields body = Fields.body(ctx, "backup_strategy");
    // Trove treats an absent or empty instance_id as "the whole project".
    boolean emptyInstance =
        body.node().path("instance_id").isTextual()
            && body.node().path("instance_id").asText().isEmpty();
    Optional<String> instanceRef =
        emptyInstance ? Optional.empty() : body.optionalString("instance_id", 64);
    String container = BackupStrategy.container(body, "swift_container");
    String instanceId =
        instanceRef
            .map(ref -> instances.get(principal, ref).id())
            .orElse(BackupStrategy.PROJECT_WIDE);
    BackupStrategy strategy = new BackupStrategy(principal.projectId(), instanceId, container);
    strategies.upsert(strategy);
    log.info(
        "event=backup_strategy_set project={} instance={} container={}",
        strategy.projectId(),
        strategy.projectWide() ? "*" : strategy.instanceId(),
        container);
    ctx.status(202).json(Map.of("backup_strategy", view(strategy)));
  }

  private void list(Context ctx) {
    String project = project(ctx);
    List<Map<String, Object>> views =
        strategies.list(project, instanceFilter(ctx)).stream().map(this::view).toList();
    ctx.json(Map.of("backup_strategies", views));
  }

  private void delete(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String project = project(ctx);
    String instanceId = instanceFilter(ctx).orElse(BackupStrategy.PROJECT_WIDE);
    boolean deleted = strategies.delete(project, instanceId);
    if (!deleted && !instanceId.isEmpty()) {
      // Deleting nothing is fine (as in Trove), but an instance the caller cannot see is a 404.
      instances.get(inProject(principal, project), instanceId);
    }
    if (deleted) {
      log.info(
          "event=backup_strategy_deleted project={} instance={}",
          project,
          instanceId.isEmpty() ? "*" : instanceId);
    }
    ctx.status(202);
  }

  /** The project acted on: the caller's, or (admins only, as in Trove) {@code ?project_id=}. */
  private static String project(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    String asked = ctx.queryParam("project_id");
    if (asked == null || asked.isBlank() || asked.equals(principal.projectId())) {
      return principal.projectId();
    }
    if (!principal.isAdmin()) {
      throw new ApiException.Forbidden(
          "Only an admin may manage the backup strategies of another project.");
    }
    if (asked.length() > 64) {
      throw new ApiException.BadRequest(
          "Validation error: project_id must be at most 64 characters long.");
    }
    return asked;
  }

  private static Optional<String> instanceFilter(Context ctx) {
    String instance = ctx.queryParam("instance_id");
    if (instance == null || instance.isBlank()) {
      return Optional.empty();
    }
    if (instance.length() > 64) {
      throw new ApiException.BadRequest(
          "Validation error: instance_id must be at most 64 characters long.");
    }
    return Optional.of(instance);
  }

  private static Principal inProject(Principal p, String project) {
    return project.equals(p.projectId())
        ? p
        : new Principal(p.userId(), p.userName(), project, "", p.role(), p.tokenId());
  }

  private Map<String, Object> view(BackupStrategy s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("project_id", s.projectId());
    m.put("instance_id", s.instanceId());
    m.put("backend", vault.storeKind());
    m.put("swift_container", s.container());
    return m;
  }
}

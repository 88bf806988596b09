package dev.coffer.server.backups;

import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Coffer's native backup schedules (Trove has none): {@code /instances/{id}/backup_schedule} with a
 * cron expression, a retention policy and whether each backup is verified by a restore drill.
 */
public final class ScheduleRoutes {
  private final ScheduleRepository schedules;
  private final InstanceService instances;

  public ScheduleRoutes(ScheduleRepository schedules, InstanceService instances) {
    this.schedules = schedules;
    this.instances = instances;
  }

  public void register(Javalin app) {
    String path = "/v1.0/{project_id}/instances/{id}/backup_schedule";
    app.get(path, this::show);
    app.put(path, this::set);
    app.delete(path, this::delete);
  }

  private void show(Context ctx) {
    Instance instance = instances.get(Authentication.principal(ctx), ctx.pathParam("id"));
    BackupSchedule schedule =
        schedules
            .find(instance.id())
            .orElseThrow(
                () ->
                    new ApiException.NotFound(
                        "Instance " + instance.id() + " has no backup schedule."));
    ctx.json(Map.of("backup_schedule", view(schedule)));
  }

  private void set(Context ctx) {
    Principal principal = Authentication.principal(ctx);
    Instance instance = instances.get(principal, ctx.pathParam("id"));
    DatastoreDescriptor ds = instances.descriptorOf(instance);
    Fields body = Fields.body(ctx, "backup_schedule");
    String cron = body.string("cron", 120);
    Instant next =
        Cron.next(cron, Instant.now())
            .orElseThrow(
                () ->
                    Fields.invalid(
                        body.at("cron"),
                        "'" + cron + "' is not a cron expression (5 fields, e.g. '0 3 * * *')"));
    boolean incremental = body.optionalBoolean("incremental").orElse(false);
    boolean verify = body.optionalBoolean("verify").orElse(false);
    if (!ds.supports(Capability.BACKUP)
        || incremental && !ds.supports(Capability.INCREMENTAL_BACKUP)) {
      Capability missing =
          ds.supports(Capability.BACKUP) ? Capability.INCREMENTAL_BACKUP : Capability.BACKUP;
      throw ApiException.notSupported(missing, ds.name());
    }
    RetentionPolicy retention =
        new RetentionPolicy(
            body.optionalInteger("keep_last", 1, 10000).orElse(7),
            body.optionalInteger("keep_daily", 0, 10000).orElse(7),
            body.optionalInteger("keep_weekly", 0, 10000).orElse(4),
            body.optionalInteger("keep_monthly", 0, 10000).orElse(6));
    BackupSchedule schedule =
        new BackupSchedule(
            instance.id(), principal.projectId(), cron, incremental, verify, retention, next);
    schedules.upsert(schedule);
    ctx.json(Map.of("backup_schedule", view(schedule)));
  }

  private void delete(Context ctx) {
    Instance instance = instances.get(Authentication.principal(ctx), ctx.pathParam("id"));
    schedules.delete(instance.id());
    ctx.status(204);
  }

  private static Map<String, Object> view(BackupSchedule s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("instance_id", s.instanceId());
    m.put("cron", s.cron());
    m.put("incremental", s.incremental());
    m.put("verify", s.verify());
    m.put("keep_last", s.retention().keepLast());
    m.put("keep_daily", s.retention().daily());
    m.put("keep_weekly", s.retention().weekly());
    m.put("keep_monthly", s.retention().monthly());
    m.put("next_run_at", s.nextRunAt().toString());
    return m;
  }
}

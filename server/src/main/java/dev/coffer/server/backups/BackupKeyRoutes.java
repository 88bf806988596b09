package dev.coffer.server.backups;

import dev.coffer.server.identity.Authentication;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin calls for the master keys (native): {@code GET /coffer/v1/backup_keys} shows which key
 * wraps how many backups' data keys; {@code POST .../rotate} makes a new master key and re-wraps
 * every data key onto it; {@code POST .../rewrap} re-wraps onto the current key only.
 */
public final class BackupKeyRoutes {
  private static final Logger log = LoggerFactory.getLogger(BackupKeyRoutes.class);

  private final BackupKeys keys;

  public BackupKeyRoutes(BackupKeys keys) {
    this.keys = keys;
  }

  public void register(Javalin app) {
    app.get("/coffer/v1/backup_keys", ctx -> respond(ctx, "show", keys::status));
    app.post("/coffer/v1/backup_keys/rotate", ctx -> respond(ctx, "rotate", keys::rotate));
    app.post("/coffer/v1/backup_keys/rewrap", ctx -> respond(ctx, "rewrap", keys::rewrap));
  }

  private static void respond(
      Context ctx, String action, java.util.function.Supplier<BackupKeys.Status> call) {
    String admin = Authentication.admin(ctx).userName();
    BackupKeys.Status status = call.get();
    if (!action.equals("show")) {
      log.info(
          "event=backup_keys_{} by={} master_key={} rewrapped={}",
          action,
          admin,
          status.currentKeyId(),
          status.rewrapped());
    }
    ctx.json(Map.of("backup_keys", view(status)));
  }

  private static Map<String, Object> view(BackupKeys.Status s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("current_key_id", s.currentKeyId());
    m.put("source", s.source());
    m.put("rewrapped", s.rewrapped());
    List<Map<String, Object>> keys =
        s.keys().stream()
            .map(
                k -> {
                  Map<String, Object> key = new LinkedHashMap<>();
                  key.put("id", k.id());
                  key.put("current", k.current());
                  key.put("available", k.available());
                  key.put("backups", k.backups());
                  return key;
                })
            .toList();
    m.put("keys", keys);
    return m;
  }
}

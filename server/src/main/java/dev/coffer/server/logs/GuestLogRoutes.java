package dev.coffer.server.logs;

import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Authentication;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.Map;

/**
 * Trove's guest logs ({@code /instances/{id}/log}) and Coffer's own way to read one without an
 * object store client ({@code /instances/{id}/log/{name}?lines=N}).
 */
public final class GuestLogRoutes {
  private static final int DEFAULT_TAIL_LINES = 50;

  private final GuestLogService logs;

  public GuestLogRoutes(GuestLogService logs) {
    this.logs = logs;
  }

  public void register(Javalin app) {
    String base = "/v1.0/{project_id}/instances/{id}/log";
    app.get(base, this::list);
    app.post(base, this::act);
    app.get(base + "/{name}", this::tail);
  }

  private void list(Context ctx) {
    ctx.json(Map.of("logs", logs.list(Authentication.principal(ctx), ctx.pathParam("id"))));
  }

  private void act(Context ctx) {
    GuestLogService.Action action = GuestLogService.Action.parse(Fields.body(ctx));
    ctx.json(Map.of("log", logs.act(Authentication.principal(ctx), ctx.pathParam("id"), action)));
  }

  private void tail(Context ctx) {
    String raw = ctx.queryParam("lines");
    int lines = DEFAULT_TAIL_LINES;
    if (raw != null) {
      if (!raw.matches("\\d{1,9}")
          || Integer.parseInt(raw) < 1
          || Integer.parseInt(raw) > GuestLogService.MAX_TAIL_LINES) {
        throw Fields.invalid("lines", "must be between 1 and " + GuestLogService.MAX_TAIL_LINES);
      }
      lines = Integer.parseInt(raw);
    }
    ctx.json(
        Map.of(
            "log",
            logs.tail(
                Authentication.principal(ctx), ctx.pathParam("id"), ctx.pathParam("name"), lines)));
  }
}

package dev.coffer.server.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where failures become Trove fault bodies: {@code {"<fault>":{code,message}}}. */
public final class Faults {
  private static final Logger log = LoggerFactory.getLogger(Faults.class);

  private Faults() {}

  public static void register(Javalin app) {
    app.exception(
        ApiException.class, (e, ctx) -> write(ctx, e.status(), e.faultName(), e.getMessage()));
    app.exception(
        HttpResponseException.class,
        (e, ctx) -> write(ctx, e.getStatus(), nameFor(e.getStatus()), e.getMessage()));
    app.exception(
        Exception.class,
        (e, ctx) -> {
          String id = UUID.randomUUID().toString();
          log.error(
              "unexpected error request={} {} {} error_id={}", ctx.method(), ctx.path(), e, id, e);
          write(
              ctx,
              500,
              "instanceFault",
              "Internal Server Error. Please keep this ID to help us figure out what went wrong: ("
                  + id
                  + ").");
        });
    app.error(
        404,
        ctx -> {
          if (ctx.result() == null || ctx.result().isEmpty()) {
            write(ctx, 404, "itemNotFound", "The resource could not be found.");
          }
        });
    app.error(
        405,
        ctx -> write(ctx, 405, "badMethod", "The method is not allowed for the requested URL."));
  }

  public static void write(Context ctx, int status, String fault, String message) {
    ctx.status(status).json(Map.of(fault, Map.of("code", status, "message", message)));
  }

  private static String nameFor(int status) {
    return switch (status) {
      case 400 -> "badRequest";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "itemNotFound";
      case 405 -> "badMethod";
      case 409 -> "conflict";
      case 413 -> "overLimit";
      case 415 -> "badMediaType";
      case 422 -> "unprocessableEntity";
      default -> status >= 500 ? "serverError" : "badRequest";
    };
  }
}

package dev.coffer.server.agents;

import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.Heartbeat;
import io.javalin.Javalin;
import java.time.Duration;

/** The HTTP endpoints agents call (see {@link dev.coffer.api.agent.AgentPaths}). */
public final class AgentRoutes {
  private final AgentGateway gateway;

  public AgentRoutes(AgentGateway gateway) {
    this.gateway = gateway;
  }

  public void register(Javalin app) {
    app.post(
        "/agent/v1/instances/{id}/heartbeat",
        ctx -> {
          String id = gateway.authenticate(ctx.pathParam("id"), ctx.header("Authorization")).id();
          gateway.heartbeat(id, ctx.bodyAsClass(Heartbeat.class));
          ctx.status(204);
        });
    app.get(
        "/agent/v1/instances/{id}/commands/next",
        ctx -> {
          String id = gateway.authenticate(ctx.pathParam("id"), ctx.header("Authorization")).id();
          int wait =
              Math.max(
                  0,
                  Math.min(
                      30, ctx.queryParamAsClass("waitSeconds", Integer.class).getOrDefault(20)));
          gateway
              .next(id, Duration.ofSeconds(wait))
              .ifPresentOrElse(ctx::json, () -> ctx.status(204));
        });
    app.post(
        "/agent/v1/instances/{id}/commands/{command}/result",
        ctx -> {
          String id = gateway.authenticate(ctx.pathParam("id"), ctx.header("Authorization")).id();
          gateway.complete(id, ctx.pathParam("command"), ctx.bodyAsClass(CommandResult.class));
          ctx.status(204);
        });
  }
}

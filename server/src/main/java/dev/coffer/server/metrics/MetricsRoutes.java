package dev.coffer.server.metrics;

import dev.coffer.server.identity.Authentication;
import io.javalin.Javalin;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code GET /coffer/v1/metrics} (admin): the control plane's metrics in the Prometheus text
 * format: Micrometer's registry, then the families features still write by hand (replication).
 */
public final class MetricsRoutes {
  private final ControlPlaneMetrics metrics;
  private final List<Consumer<StringBuilder>> sources;

  public MetricsRoutes(ControlPlaneMetrics metrics, List<Consumer<StringBuilder>> sources) {
    this.metrics = metrics;
    this.sources = List.copyOf(sources);
  }

  public void register(Javalin app) {
    app.get(
        "/coffer/v1/metrics",
        ctx -> {
          Authentication.admin(ctx);
          StringBuilder out = new StringBuilder(metrics.scrape());
          sources.forEach(source -> source.accept(out));
          ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(out.toString());
        });
  }
}

package dev.coffer.server;

import dev.coffer.server.http.Faults;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The HTTP server: one Javalin app carrying every route; knows nothing of features. */
public final class ApiServer {
  /** A registered route, for the OpenAPI consistency test. */
  public record Route(String method, String path) {}

  private final Javalin app;
  private final List<Route> routes = new ArrayList<>();

  public ApiServer(
      com.fasterxml.jackson.databind.ObjectMapper json, List<Consumer<Javalin>> features) {
    this.app =
        Javalin.create(
            config -> {
              config.showJavalinBanner = false;
              config.jsonMapper(new JavalinJackson(json, false));
              config.http.maxRequestSize = 2L << 20;
              config.router.ignoreTrailingSlashes = true;
              config.events(
                  events ->
                      events.handlerAdded(
                          info -> {
                            if (info.getHttpMethod().isHttpMethod()
                                && info.getHttpMethod() != HandlerType.HEAD) {
                              routes.add(new Route(info.getHttpMethod().name(), info.getPath()));
                            }
                          }));
            });
    Faults.register(app);
    app.get("/", ctx -> ctx.json(versions(ctx.scheme() + "://" + ctx.host())));
    String openapi = resource("/openapi.json");
    app.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openapi));
    features.forEach(f -> f.accept(app));
  }

  private static Map<String, Object> versions(String base) {
    return Map.of(
        "versions",
        List.of(
            Map.of(
                "id", "v1.0",
                "status", "CURRENT",
                "updated", "2012-08-01T00:00:00Z",
                "links", List.of(Map.of("href", base + "/v1.0/", "rel", "self")))));
  }

  private static String resource(String name) {
    try (InputStream in = ApiServer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ApiServer start(String host, int port) {
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }

  public void stop() {
    app.stop();
  }
}

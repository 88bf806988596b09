package dev.coffer.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the Coffer server: answers canned Trove-shaped responses by exact method and raw
 * path (query included), and records every request so tests can assert what the CLI sent. Unknown
 * paths get Trove's 404 fault.
 */
final class FakeServer implements AutoCloseable {
  record Request(String method, String path, String body, String token) {
    String call() {
      return method + " " + path;
    }
  }

  private record Response(int status, String body) {}

  private final HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<Response>> routes = new ConcurrentHashMap<>();

  FakeServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Queues a response; the last one queued for a route keeps being answered. */
  FakeServer on(String method, String path, int status, String body) {
    routes
        .computeIfAbsent(method + " " + path, k -> new ArrayDeque<>())
        .add(new Response(status, body));
    return this;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  List<String> calls() {
    return requests.stream().map(Request::call).toList();
  }

  Request last(String method, String path) {
    return requests.stream()
        .filter(r -> r.method().equals(method) && r.path().equals(path))
        .reduce((first, second) -> second)
        .orElseThrow(() -> new AssertionError("no " + method + " " + path + " in " + calls()));
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    if (exchange.getRequestURI().getRawQuery() != null) {
      path += "?" + exchange.getRequestURI().getRawQuery();
    }
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String method = exchange.getRequestMethod();
    requests.add(
        new Request(method, path, body, exchange.getRequestHeaders().getFirst("X-Auth-Token")));
    Response response = next(method + " " + path);
    if (response == null) {
      response =
          new Response(
              404,
              "{\"itemNotFound\":{\"code\":404,\"message\":\"" + path + " could not be found.\"}}");
    }
    byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private Response next(String route) {
    Deque<Response> queue = routes.get(route);
    if (queue == null) {
      return null;
    }
    synchronized (queue) {
      return queue.size() > 1 ? queue.poll() : queue.peek();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

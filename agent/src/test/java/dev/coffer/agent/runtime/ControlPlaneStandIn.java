package dev.coffer.agent.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.coffer.api.agent.AgentCommand;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.Heartbeat;
import dev.coffer.api.agent.Json;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * A real HTTP server speaking the control plane's side of the agent protocol: hands out queued
 * commands (long poll), records results and heartbeats, and checks the bearer secret. It can go
 * down and come back on the same port, as a restarting control plane does.
 */
final class ControlPlaneStandIn implements AutoCloseable {
  private static final Pattern PATH =
      Pattern.compile(
          "/agent/v1/instances/([^/]+)/(heartbeat|commands/next|commands/([^/]+)/result)");

  private final String instanceId;
  private final String secret;
  private final ObjectMapper mapper = Json.newMapper();
  private final LinkedBlockingQueue<AgentCommand> commands = new LinkedBlockingQueue<>();
  private final Map<String, CommandResult> results = new ConcurrentHashMap<>();
  private final AtomicInteger resultPosts = new AtomicInteger();
  private final List<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();
  private final AtomicInteger unauthorized = new AtomicInteger();
  private final AtomicInteger connectionsWhileDown = new AtomicInteger();
  private final AtomicBoolean crashOnNextResult = new AtomicBoolean();
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final InetAddress address = InetAddress.getLoopbackAddress();
  private final int port;
  private volatile HttpServer server;
  private volatile ServerSocket unreachable;
  private volatile Thread dropper;
  private volatile boolean closing;

  ControlPlaneStandIn(String instanceId, String secret) throws IOException {
    this.instanceId = instanceId;
    this.secret = secret;
    this.server = serve(0);
    this.port = server.getAddress().getPort();
  }

  String url() {
    return "http://" + address.getHostAddress() + ":" + port;
  }

  void send(AgentCommand command) {
    commands.add(command);
  }

  Optional<CommandResult> result(String commandId) {
    return Optional.ofNullable(results.get(commandId));
  }

  int resultPosts() {
    return resultPosts.get();
  }

  List<Heartbeat> heartbeats() {
    return List.copyOf(heartbeats);
  }

  int unauthorizedRequests() {
    return unauthorized.get();
  }

  /**
   * The next result POST finds the control plane crashing: the connection is dropped unanswered and
   * the server stays down, refusing to talk, until {@link #comeBack()}.
   */
  void crashOnNextResult() {
    crashOnNextResult.set(true);
  }

  boolean isDown() {
    return unreachable != null;
  }

  /** Connections the agent opened while the control plane was down (each one dropped at once). */
  int connectionsWhileDown() {
    return connectionsWhileDown.get();
  }

  synchronized void comeBack() throws IOException, InterruptedException {
    unreachable.close();
    dropper.join(5_000);
    unreachable = null;
    // The kernel may take a moment to release the port of the socket just closed.
    server =
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(50))
            .ignoreExceptionsInstanceOf(BindException.class)
            .until(() -> serve(port), running -> running != null);
  }

  private synchronized void goDown() {
    server.stop(0);
    try {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(address, port));
      unreachable = socket;
      Thread dropper =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    Socket accepted = socket.accept();
                    connectionsWhileDown.incrementAndGet();
                    accepted.setSoLinger(true, 0); // reset: leaves no closing socket on the port
                    accepted.close();
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "stand-in-down");
      dropper.setDaemon(true);
      dropper.start();
      this.dropper = dropper;
    } catch (IOException e) {
      throw new IllegalStateException("cannot hold the stand-in's port while down", e);
    }
  }

  private HttpServer serve(int onPort) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(address, onPort), 16);
    http.setExecutor(handlers);
    http.createContext("/", this::handle);
    http.start();
    return http;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Matcher path = PATH.matcher(exchange.getRequestURI().getPath());
      if (!path.matches() || !path.group(1).equals(instanceId)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!("Bearer " + secret).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        unauthorized.incrementAndGet();
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      String route = path.group(2);
      if (route.equals("heartbeat")) {
        heartbeats.add(mapper.readValue(exchange.getRequestBody(), Heartbeat.class));
        exchange.sendResponseHeaders(204, -1);
      } else if (route.equals("commands/next")) {
        nextCommand(exchange);
      } else {
        resultPosts.incrementAndGet();
        if (crashOnNextResult.compareAndSet(true, false)) {
          goDown(); // drops this connection too: the agent never hears back
          return;
        }
        results.put(
            path.group(3), mapper.readValue(exchange.getRequestBody(), CommandResult.class));
        exchange.sendResponseHeaders(204, -1);
      }
    }
  }

  private void nextCommand(HttpExchange exchange) throws IOException {
    Matcher wait =
        Pattern.compile("waitSeconds=(\\d+)").matcher(exchange.getRequestURI().getQuery());
    long deadline =
        System.nanoTime()
            + TimeUnit.SECONDS.toNanos(wait.find() ? Long.parseLong(wait.group(1)) : 0);
    try {
      while (!closing && System.nanoTime() < deadline) {
        AgentCommand command = commands.poll(100, TimeUnit.MILLISECONDS);
        if (command != null) {
          byte[] body = mapper.writeValueAsBytes(command);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    exchange.sendResponseHeaders(204, -1);
  }

  @Override
  public synchronized void close() throws IOException {
    closing = true;
    server.stop(0);
    if (unreachable != null) {
      unreachable.close();
    }
    handlers.shutdownNow();
  }
}

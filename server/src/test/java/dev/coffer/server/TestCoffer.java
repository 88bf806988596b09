package dev.coffer.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import dev.coffer.server.events.EventSink;
import dev.coffer.server.identity.IdentityService;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Coffer for tests: in-process control plane on a free port with its own home, talking to
 * real agent processes and engines. {@link #close()} deletes every instance it created.
 */
public final class TestCoffer implements AutoCloseable {
  public final Coffer coffer;
  public final String project;
  public final String token;
  public final Path home;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = Json.newMapper();

  /** The password of the user {@link #createShop} creates. */
  public static final String APP_PASSWORD = "Secret-1";

  public record Response(int status, JsonNode body, String raw) {}

  private final Map<String, String> settings;
  private final EventSink events;

  private TestCoffer(
      Coffer coffer, Path home, String project, String token, Map<String, String> settings) {
    this(coffer, home, project, token, settings, EventSink.NONE);
  }

  private TestCoffer(
      Coffer coffer,
      Path home,
      String project,
      String token,
      Map<String, String> settings,
      EventSink events) {
    this.coffer = coffer;
    this.home = home;
    this.project = project;
    this.token = token;
    this.settings = settings;
    this.events = events;
  }

  public static TestCoffer start() throws IOException {
    return start(Map.of());
  }

  /** A Coffer with extra settings (environment variables of the server), e.g. a backup store. */
  public static TestCoffer start(Map<String, String> settings) throws IOException {
    return start(settings, EventSink.NONE);
  }

  /** A Coffer with extra settings whose features also publish their events to {@code events}. */
  public static TestCoffer start(Map<String, String> settings, EventSink events)
      throws IOException {
    Path base = Path.of("/tmp/coffer-it");
    Files.createDirectories(base);
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createTempDirectory(base, "home");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    Coffer coffer = Coffer.start(config(home, settings), events);
    IdentityService.BootstrapCredentials admin = coffer.identity().bootstrap().orElseThrow();
    return new TestCoffer(coffer, home, admin.projectId(), admin.token(), settings, events);
  }

  public static ServerConfig config(Path home) {
    return config(home, Map.of());
  }

  static ServerConfig config(Path home, Map<String, String> settings) {
    Map<String, String> env = new java.util.HashMap<>(settings);
    env.put("COFFER_HOME", home.toString());
    env.put("COFFER_PORT", "0");
    env.putIfAbsent("COFFER_ADDRESS_POOL", defaultPool());
    env.put("COFFER_AGENT_JAR", System.getProperty("coffer.agent.jar"));
    return ServerConfig.fromEnvironment(env).withPort(0);
  }

  /**
   * Test classes run in two forks at once; those that do not name a pool share one per fork, so
   * that two control planes never place engines on the same address and port.
   */
  private static String defaultPool() {
    String fork = System.getProperty("coffer.test.fork", "");
    return fork.matches("\\d+") ? "127." + (110 + Integer.parseInt(fork)) : "127.78";
  }

  public static TestCoffer start(Path home) {
    Coffer coffer = Coffer.start(config(home));
    IdentityService.BootstrapCredentials admin = coffer.identity().bootstrap().orElseThrow();
    return new TestCoffer(coffer, home, admin.projectId(), admin.token(), Map.of());
  }

  /**
   * Stops this control plane (its instances keep running) and starts a new one on the same home and
   * settings and port, as an operator restarting the server would; the project and token stay
   * valid.
   */
  public TestCoffer restart() {
    // The same port: running instances' agents keep calling the control plane where it was.
    int port = coffer.port();
    coffer.close();
    return new TestCoffer(
        Coffer.start(config(home, settings).withPort(port), events),
        home,
        project,
        token,
        settings,
        events);
  }

  public String url() {
    return "http://127.0.0.1:" + coffer.port();
  }

  public String v1(String path) {
    return "/v1.0/" + project + path;
  }

  public Response get(String path) {
    return send("GET", path, null, token);
  }

  public Response post(String path, String body) {
    return send("POST", path, body, token);
  }

  public Response patch(String path, String body) {
    return send("PATCH", path, body, token);
  }

  /** The value as JSON text (for request bodies). */
  public String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  public Response put(String path, String body) {
    return send("PUT", path, body, token);
  }

  public Response delete(String path) {
    return send("DELETE", path, null, token);
  }

  public Response send(String method, String path, String body, String withToken) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url() + path))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (withToken != null) {
      request.header("X-Auth-Token", withToken);
    }
    try {
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      if (!response.body().isEmpty()) {
        try {
          json = JSON.readTree(response.body());
        } catch (IOException notJson) {
          json = null;
        }
      }
      return new Response(response.statusCode(), json, response.body());
    } catch (IOException e) {
      throw new RuntimeException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RuntimeException(e);
    }
  }

  /** Waits (up to 4 minutes) until the instance shows {@code status}; returns its view. */
  public JsonNode awaitStatus(String instanceId, String status) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> status(instanceId).filter(status::equals).isPresent());
    return get(v1("/instances/" + instanceId)).body().path("instance");
  }

  /**
   * Creates an instance with database {@code shop} and user {@code app} (password {@value
   * #APP_PASSWORD}) who may use it, and waits until it is ACTIVE. {@code extra} is more of the
   * instance object (JSON members ending in a comma), or empty.
   */
  public JsonNode createShop(String name, String datastore, String flavorRef, String extra) {
    Response created =
        post(
            v1("/instances"),
            "{\"instance\":{\"name\":\""
                + name
                + "\",\"flavorRef\":\""
                + flavorRef
                + "\",\"volume\":{\"size\":1},"
                + "\"databases\":[{\"name\":\"shop\"}],\"users\":[{\"name\":\"app\","
                + "\"password\":\""
                + APP_PASSWORD
                + "\",\"databases\":[{\"name\":\"shop\"}]}],"
                + extra
                + "\"datastore\":{\"type\":\""
                + datastore
                + "\"}}}");
    if (created.status() != 200) {
      throw new AssertionError("create " + name + ": " + created.raw());
    }
    return awaitStatus(created.body().at("/instance/id").asText(), "ACTIVE");
  }

  /** The JDBC URL of an instance's endpoint, for example {@code jdbc:mariadb://host:port/shop}. */
  public static String jdbcUrl(String driver, JsonNode instance, String database) {
    return "jdbc:"
        + driver
        + "://"
        + instance.at("/endpoint/host").asText()
        + ":"
        + instance.at("/endpoint/port").asInt()
        + "/"
        + database;
  }

  /** Status of an instance, or empty once it is gone (404). */
  public Optional<String> status(String instanceId) {
    Response r = get(v1("/instances/" + instanceId));
    if (r.status() == 404) {
      return Optional.empty();
    }
    return Optional.of(r.body().path("instance").path("status").asText());
  }

  @Override
  public void close() {
    try {
      for (var instance : coffer.instances().live()) {
        coffer.compute().destroy(instance.id());
      }
      for (String leftover : coffer.compute().presentInstances()) {
        coffer.compute().destroy(leftover);
      }
    } finally {
      coffer.close();
      deleteTree(home);
    }
  }

  /**
   * Processes whose command line or working directory lies below {@code dir}: an instance's agent
   * and engine (found the way the local compute driver finds them).
   */
  public static List<Long> processesMentioning(String dir) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().matches("\\d+")) {
          continue;
        }
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
          String cwd = Files.readSymbolicLink(p.resolve("cwd")).toString();
          if (cmd.contains(dir + File.separator) || cwd.startsWith(dir)) {
            pids.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException | UnsupportedOperationException gone) {
          // the process ended while we looked
        }
      }
    }
    return pids;
  }

  /** Removes a test's home directory and everything in it. */
  public static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

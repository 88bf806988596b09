package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.api.agent.Json;
import java.net.ServerSocket;
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
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane is killed with SIGKILL while instances are being provisioned; after a restart
 * every accepted instance still becomes ACTIVE, and deleting them leaves nothing behind.
 */
class CrashRecoveryTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private Path home;
  private int port;
  private Process server;
  private String token;
  private String project;

  private void startServer() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.coffer.server.Main")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("server.log").toFile()));
    builder
        .environment()
        .putAll(
            Map.of(
                "COFFER_HOME", home.toString(),
                "COFFER_PORT", Integer.toString(port),
                "COFFER_ADDRESS_POOL", "127.79",
                "COFFER_AGENT_JAR", System.getProperty("coffer.agent.jar")));
    server = builder.start();
    // Generous: on a loaded 2-core machine a cold JVM with migrations can take a minute.
    await()
        .atMost(Duration.ofMinutes(3))
        .ignoreExceptions()
        .until(() -> send("GET", "/", null).statusCode() == 200);
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      r.header("X-Auth-Token", token);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String status(String id) throws Exception {
    HttpResponse<String> r = send("GET", "/v1.0/" + project + "/instances/" + id, null);
    if (r.statusCode() == 404) {
      return "GONE";
    }
    JsonNode body = Json.newMapper().readTree(r.body());
    return body.at("/instance/status").asText();
  }

  /** A new home, the server started in it, and the admin's token and project. */
  private void startFreshServer() throws Exception {
    Path base = Path.of("/tmp/coffer-it");
    Files.createDirectories(base);
    home = Files.createTempDirectory(base, "crash");
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    startServer();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(home.resolve("admin-credentials")));
    Properties credentials = new Properties();
    try (var in = Files.newInputStream(home.resolve("admin-credentials"))) {
      credentials.load(in);
    }
    token = credentials.getProperty("COFFER_TOKEN");
    project = credentials.getProperty("COFFER_PROJECT");
  }

  @Test
  void instancesAcceptedBeforeACrashBecomeActiveAfterRestartAndLeaveNothingWhenDeleted()
      throws Exception {
    startFreshServer();
    List<String> ids = new ArrayList<>();
    for (String datastore : List.of("redis", "mariadb")) {
      HttpResponse<String> created =
          send(
              "POST",
              "/v1.0/" + project + "/instances",
              "{\"instance\":{\"name\":\"crash-"
                  + datastore
                  + "\",\"flavorRef\":1,\"datastore\":{\"type\":\""
                  + datastore
                  + "\"},\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\"}]}}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
      ids.add(Json.newMapper().readTree(created.body()).at("/instance/id").asText());
    }
    Thread.sleep(300); // let provisioning get under way: the crash must land mid-task
    server.destroyForcibly().waitFor();

    startServer();
    for (String id : ids) {
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> status(id).equals("ACTIVE"));
    }
    for (String id : ids) {
      assertThat(send("DELETE", "/v1.0/" + project + "/instances/" + id, null).statusCode())
          .isEqualTo(202);
    }
    // A second crash, this time while deleting.
    server.destroyForcibly().waitFor();
    startServer();
    for (String id : ids) {
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> status(id).equals("GONE"));
      assertThat(home.resolve("instances").resolve(id)).doesNotExist();
      assertThat(TestCoffer.processesMentioning(home.resolve("instances").resolve(id).toString()))
          .isEmpty();
    }
  }

  @Test
  void aBackupCaughtByAServerCrashEndsCompletedWithItsWholeObjectOrFailedWithNone()
      throws Exception {
    startFreshServer();
    HttpResponse<String> created =
        send(
            "POST",
            "/v1.0/" + project + "/instances",
            "{\"instance\":{\"name\":\"crash-backup\",\"flavorRef\":1,"
                + "\"datastore\":{\"type\":\"mariadb\"}}}");
    String instance = Json.newMapper().readTree(created.body()).at("/instance/id").asText();
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> status(instance).equals("ACTIVE"));
    HttpResponse<String> accepted =
        send(
            "POST",
            "/v1.0/" + project + "/backups",
            "{\"backup\":{\"name\":\"caught\",\"instance\":\"" + instance + "\"}}");
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    String backup = Json.newMapper().readTree(accepted.body()).at("/backup/id").asText();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> backupField(backup, "status").equals("BUILDING"));
    server.destroyForcibly().waitFor();

    startServer();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> List.of("COMPLETED", "FAILED").contains(backupField(backup, "status")));
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> status(instance).equals("ACTIVE"));
    List<Path> objects;
    try (Stream<Path> files = Files.walk(home.resolve("backups"))) {
      objects = files.filter(f -> f.getFileName().toString().equals(backup + ".backup")).toList();
    }
    if (backupField(backup, "status").equals("COMPLETED")) {
      // The agent finished while the server was down and delivered its result on restart: the
      // object is whole and its checksum is the one recorded.
      assertThat(objects).hasSize(1);
      assertThat(sha256(objects.get(0))).isEqualTo(backupField(backup, "checksum"));
    } else {
      assertThat(backupField(backup, "fault")).isNotEmpty();
      assertThat(objects).isEmpty();
    }
  }

  private String backupField(String backup, String field) throws Exception {
    HttpResponse<String> r = send("GET", "/v1.0/" + project + "/backups/" + backup, null);
    JsonNode value = Json.newMapper().readTree(r.body()).at("/backup/" + field);
    return value.isValueNode() ? value.asText() : value.toString();
  }

  private static String sha256(Path file) throws Exception {
    java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor();
    }
    if (home != null) {
      try (Coffer c = Coffer.start(TestCoffer.config(home))) {
        for (String id : c.compute().presentInstances()) {
          c.compute().destroy(id);
        }
      }
      TestCoffer.deleteTree(home);
    }
  }
}

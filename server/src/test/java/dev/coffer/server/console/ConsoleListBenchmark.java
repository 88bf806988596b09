package dev.coffer.server.console;

import dev.coffer.server.TestCoffer;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.ServiceStatus;
import dev.coffer.server.instances.TaskStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Not part of the test suite (its name matches no surefire pattern): {@code bench/console.sh} runs
 * it. A project with 500 instances (rows in the state store; no engines are started), then the
 * instance list page, its live fragment and the API's JSON list are each fetched many times; the
 * server's own time (the Server-Timing header, or the round trip for the API) is reported as
 * p50/p99 in a Markdown table written to {@code coffer.bench.output}.
 */
class ConsoleListBenchmark {
  private static final int INSTANCES = Integer.getInteger("coffer.bench.instances", 500);
  private static final int ROUNDS = Integer.getInteger("coffer.bench.rounds", 200);
  private static final Pattern DURATION = Pattern.compile("dur=([0-9.]+)");

  @Test
  void measureTheInstanceListWithManyInstances() throws Exception {
    try (TestCoffer coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.115"))) {
      String project =
          coffer
              .post("/coffer/v1/projects", "{\"project\":{\"name\":\"bench\"}}")
              .body()
              .at("/project/id")
              .asText();
      coffer.post(
          "/coffer/v1/users",
          "{\"user\":{\"name\":\"bench\",\"password\":\"Bench-pass-1\",\"project_id\":\""
              + project
              + "\"}}");
      String version =
          coffer
              .get(coffer.v1("/datastores/mariadb/versions"))
              .body()
              .at("/versions/0/id")
              .asText();
      TaskStatus[] tasks = {TaskStatus.NONE, TaskStatus.BUILDING, TaskStatus.REBOOTING};
      for (int n = 0; n < INSTANCES; n++) {
        Instant now = Instant.now();
        coffer
            .coffer
            .instances()
            .insert(
                new Instance(
                    UUID.randomUUID().toString(),
                    project,
                    String.format(Locale.ROOT, "db-%03d", n),
                    version,
                    "2",
                    1 + n % 5,
                    null,
                    null,
                    null,
                    false,
                    List.of(),
                    tasks[n % tasks.length],
                    ServiceStatus.NEW,
                    now,
                    null,
                    null,
                    null,
                    null,
                    now,
                    now,
                    null));
      }
      HttpClient http = HttpClient.newBuilder().build();
      String cookie = logIn(http, coffer.url());
      String token =
          coffer
              .post(
                  "/coffer/v1/tokens",
                  "{\"username\":\"bench\",\"password\":\"Bench-pass-1\",\"project\":\"bench\"}")
              .body()
              .at("/token/id")
              .asText();
      List<String> rows = new ArrayList<>();
      rows.add(
          measure(
              "console page `GET /ui/instances`",
              http,
              coffer.url() + "/ui/instances",
              "Cookie",
              cookie,
              true));
      rows.add(
          measure(
              "live fragment `GET /ui/instances/rows` (polled every 3 s)",
              http,
              coffer.url() + "/ui/instances/rows",
              "Cookie",
              cookie,
              true));
      rows.add(
          measure(
              "API `GET /v1.0/{project}/instances` (JSON, round trip)",
              http,
              coffer.url() + "/v1.0/" + project + "/instances?include_clustered=True",
              "X-Auth-Token",
              token,
              false));
      StringBuilder out = new StringBuilder();
      out.append("| request (").append(INSTANCES).append(" instances, ").append(ROUNDS);
      out.append(" requests each) | p50 ms | p99 ms | page size |\n|---|---|---|---|\n");
      rows.forEach(r -> out.append(r).append('\n'));
      System.out.println(out);
      String output = System.getProperty("coffer.bench.output");
      if (output != null) {
        Files.writeString(Path.of(output), out.toString());
      }
    }
  }

  /** Signs in through the login form, as a browser does; returns the session cookie. */
  private static String logIn(HttpClient http, String base) throws Exception {
    HttpResponse<String> form =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/ui/login")).build(),
            HttpResponse.BodyHandlers.ofString());
    String loginCookie = form.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    Matcher csrf = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(form.body());
    if (!csrf.find()) {
      throw new AssertionError("no CSRF field on the login page");
    }
    HttpResponse<String> signedIn =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/ui/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Cookie", loginCookie)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "csrf=" + csrf.group(1) + "&username=bench&password=Bench-pass-1"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return signedIn.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith("coffer_console="))
        .findFirst()
        .orElseThrow(() -> new AssertionError("not signed in: " + signedIn.statusCode()))
        .split(";")[0];
  }

  private static String measure(
      String label, HttpClient http, String url, String header, String value, boolean serverTiming)
      throws Exception {
    List<Double> times = new ArrayList<>();
    int size = 0;
    for (int n = 0; n < ROUNDS + 20; n++) {
      long started = System.nanoTime();
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).header(header, value).build(),
              HttpResponse.BodyHandlers.ofString());
      double roundTrip = (System.nanoTime() - started) / 1e6;
      if (response.statusCode() != 200) {
        throw new AssertionError(url + " answered " + response.statusCode());
      }
      size = response.body().length();
      double time = roundTrip;
      if (serverTiming) {
        Matcher m = DURATION.matcher(response.headers().firstValue("Server-Timing").orElseThrow());
        if (!m.find()) {
          throw new AssertionError("no Server-Timing duration");
        }
        time = Double.parseDouble(m.group(1));
      }
      if (n >= 20) { // the first 20 warm the JIT up
        times.add(time);
      }
    }
    Collections.sort(times);
    return String.format(
        Locale.ROOT,
        "| %s | %.1f | %.1f | %d KiB |",
        label,
        times.get(times.size() / 2),
        times.get((int) Math.ceil(times.size() * 0.99) - 1),
        size / 1024);
  }
}

package dev.coffer.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.ApiServer;
import dev.coffer.server.TestCoffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit log covers every change the API offers: each POST, PUT, PATCH and DELETE route the
 * server registers leaves a row with its route template and a named action, refused requests
 * included; and no password sent in a request ever shows in the log.
 */
class AuditCoverageTest {
  static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");
  static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]+)}|<([^>]+)>");

  /** A named action is dotted words, e.g. {@code instance.create}; fallbacks carry the method. */
  static final Pattern NAMED_ACTION = Pattern.compile("[a-z][a-z0-9_-]*(\\.[A-Za-z0-9_-]+)+");

  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.118"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  /** The agents' channel and the console's pages are not the API the audit log covers. */
  static List<ApiServer.Route> mutatingApiRoutes() {
    return coffer.coffer.routes().stream()
        .filter(r -> MUTATING.contains(r.method()))
        .filter(r -> !r.path().startsWith("/agent/") && !r.path().startsWith("/ui"))
        .toList();
  }

  /** The route with this test's project and made-up ids for everything else. */
  static String concrete(String template) {
    String path =
        template.replaceFirst("^/v1\\.0/\\{project_id}/", "/v1.0/" + coffer.project + "/");
    Matcher m = PLACEHOLDER.matcher(path);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      m.appendReplacement(out, "no-such-" + name.replace('_', '-'));
    }
    m.appendTail(out);
    return out.toString();
  }

  static JsonNode auditRows() {
    var audit = coffer.get(coffer.v1("/mgmt/audit?limit=1000"));
    assertThat(audit.status()).as(audit.raw()).isEqualTo(200);
    return audit.body().path("audit");
  }

  @Test
  void everyMutatingRouteLeavesAnAuditRowWithItsRouteAndANamedAction() {
    List<ApiServer.Route> routes = mutatingApiRoutes();
    assertThat(routes).hasSizeGreaterThan(40);
    List<String> sent = new ArrayList<>();
    for (ApiServer.Route route : routes) {
      // An action (a POST to an object) is named by its body's key; made-up ids refuse it (404).
      boolean action =
          route.path().endsWith("/action")
              || (route.method().equals("POST") && route.path().endsWith("}"));
      String body = action ? "{\"restart\":{}}" : "{}";
      if (route.method().equals("DELETE")) {
        body = null;
      }
      var answer = coffer.send(route.method(), concrete(route.path()), body, coffer.token);
      assertThat(answer.status()).as(route + " answered " + answer.raw()).isBetween(200, 499);
      sent.add(route.method() + " " + route.path());
    }

    JsonNode rows = auditRows();
    List<String> missing = new ArrayList<>();
    List<String> unnamed = new ArrayList<>();
    for (ApiServer.Route route : routes) {
      JsonNode row = null;
      for (JsonNode r : rows) {
        if (r.path("method").asText().equals(route.method())
            && r.path("route").asText().equals(route.path())) {
          row = r;
          break;
        }
      }
      if (row == null) {
        missing.add(route.method() + " " + route.path());
      } else if (!NAMED_ACTION.matcher(row.path("action").asText()).matches()
          || row.path("action").asText().endsWith(".action")) {
        unnamed.add(route.method() + " " + route.path() + " -> " + row.path("action").asText());
      } else {
        assertThat(row.path("outcome").asInt()).as(row.toString()).isBetween(200, 499);
        assertThat(row.path("request_id").asText()).as(row.toString()).startsWith("req-");
      }
    }
    assertThat(missing).as("routes without an audit row, of " + sent).isEmpty();
    assertThat(unnamed).as("routes audited without a named action").isEmpty();
  }

  @Test
  void noPasswordSentToTheApiShowsInTheAuditLog() {
    String password = "Audit-Hunter2-" + System.nanoTime();

    var user =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\"auditee\",\"password\":\""
                + password
                + "\",\"project_id\":\""
                + coffer.project
                + "\",\"role\":\"member\"}}");
    assertThat(user.status()).as(user.raw()).isEqualTo(201);
    var login =
        coffer.send(
            "POST",
            "/coffer/v1/tokens",
            "{\"username\":\"auditee\",\"password\":\"" + password + "\"}",
            null);
    assertThat(login.status()).as(login.raw()).isEqualTo(201);
    var failedLogin =
        coffer.send(
            "POST",
            "/coffer/v1/tokens",
            "{\"username\":\"auditee\",\"password\":\"" + password + "-wrong\"}",
            null);
    assertThat(failedLogin.status()).isEqualTo(401);

    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"audited\",\"flavorRef\":1,"
                + "\"users\":[{\"name\":\"app\",\"password\":\""
                + password
                + "\"}],\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isBetween(200, 499);
    String instance =
        created.status() == 200 ? created.body().at("/instance/id").asText() : "no-such-instance";
    try {
      if (created.status() == 200) {
        coffer.awaitStatus(instance, "ACTIVE");
      }
      var root =
          coffer.post(
              coffer.v1("/instances/" + instance + "/root"), "{\"password\":\"" + password + "\"}");
      assertThat(root.status()).as(root.raw()).isBetween(200, 499);
      var userCreate =
          coffer.post(
              coffer.v1("/instances/" + instance + "/users"),
              "{\"users\":[{\"name\":\"other\",\"password\":\"" + password + "\"}]}");
      assertThat(userCreate.status()).as(userCreate.raw()).isBetween(200, 499);
      var userPassword =
          coffer.put(
              coffer.v1("/instances/" + instance + "/users"),
              "{\"users\":[{\"name\":\"other\",\"password\":\"" + password + "\"}]}");
      assertThat(userPassword.status()).as(userPassword.raw()).isBetween(200, 499);

      JsonNode rows = auditRows();
      List<String> actions = new ArrayList<>();
      rows.forEach(r -> actions.add(r.path("action").asText()));
      assertThat(actions).contains("auth.login", "user.create", "instance.create", "root.create");
      String whole = coffer.get(coffer.v1("/mgmt/audit?limit=1000")).raw();
      assertThat(whole).doesNotContain(password).doesNotContain("Hunter2");
      assertThat(whole).doesNotContain(login.body().at("/token/id").asText());
    } finally {
      if (created.status() == 200) {
        coffer.delete(coffer.v1("/instances/" + instance));
      }
    }
  }
}

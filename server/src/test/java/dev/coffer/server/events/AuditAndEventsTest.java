package dev.coffer.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import dev.coffer.server.store.StateStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, points 3 and 4: every change is in the audit log (who, project, action, target, outcome,
 * request id, time) without secrets, readable and filterable by administrators only; an instance's
 * life shows as ordered events in its events API.
 */
class AuditAndEventsTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.107"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void anInstancesCreateRestartAndDeleteAreOrderedEventsAndAuditedChanges() {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"evented\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    String id = created.body().at("/instance/id").asText();
    coffer.awaitStatus(id, "ACTIVE");
    var restart = coffer.post(coffer.v1("/instances/" + id + "/action"), "{\"restart\":{}}");
    assertThat(restart.status()).as(restart.raw()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(
            () ->
                assertThat(statuses(id))
                    .containsSubsequence("BUILD", "ACTIVE", "REBOOT", "ACTIVE"));
    JsonNode recent =
        coffer.get(coffer.v1("/instances/" + id)).body().at("/instance/recent_events");
    assertThat(recent.get(0).path("type").asText()).isEqualTo("instance.status_changed");
    assertThat(recent.get(0).at("/details/to").asText()).isEqualTo("ACTIVE");
    assertThat(recent.get(1).at("/details/to").asText()).isEqualTo("REBOOT");
    assertThat(coffer.delete(coffer.v1("/instances/" + id)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(() -> assertThat(types(id)).endsWith("instance.deleted"));

    List<String> statuses = statuses(id);
    assertThat(statuses).containsSubsequence("BUILD", "ACTIVE", "REBOOT", "ACTIVE", "SHUTDOWN");
    for (int i = 1; i < statuses.size(); i++) {
      assertThat(statuses.get(i))
          .as("no status is announced twice")
          .isNotEqualTo(statuses.get(i - 1));
    }
    JsonNode first = events(id).get(0);
    assertThat(first.path("target_type").asText()).isEqualTo("instance");
    assertThat(first.path("details").path("from").asText()).isEmpty();
    assertThat(
            coffer
                .get("/coffer/v1/events?target=" + id + "&type=instance.deleted")
                .body()
                .path("events"))
        .hasSize(1);

    JsonNode create =
        only(coffer.get(coffer.v1("/mgmt/audit?action=instance.create&target=" + id)));
    assertThat(create.path("outcome").asInt()).isEqualTo(200);
    assertThat(create.path("project_id").asText()).isEqualTo(coffer.project);
    assertThat(create.path("user").asText()).isNotBlank();
    assertThat(create.path("route").asText()).isEqualTo("/v1.0/{project_id}/instances");
    assertThat(create.path("request_id").asText()).startsWith("req-");
    assertThat(
            only(coffer.get(coffer.v1("/mgmt/audit?action=instance.restart&target=" + id)))
                .path("outcome")
                .asInt())
        .isEqualTo(202);
    assertThat(
            only(coffer.get(coffer.v1("/mgmt/audit?action=instance.delete&target=" + id)))
                .path("outcome")
                .asInt())
        .isEqualTo(202);
  }

  @Test
  void theAuditLogNeverHoldsAPasswordAndRecordsFailedLogins() throws Exception {
    String password = "Pw-" + Instant.now().toEpochMilli() + "-never-logged";
    String wrong = "Wrong-" + Instant.now().toEpochMilli() + "-never-logged";
    var user =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\"auditee\",\"password\":\""
                + password
                + "\",\"project_id\":\""
                + coffer.project
                + "\"}}");
    assertThat(user.status()).as(user.raw()).isEqualTo(201);
    assertThat(user.raw()).doesNotContain(password);
    var failed =
        coffer.send(
            "POST",
            "/coffer/v1/tokens",
            "{\"username\":\"auditee\",\"password\":\"" + wrong + "\"}",
            null);
    assertThat(failed.status()).isEqualTo(401);

    var log = coffer.get(coffer.v1("/mgmt/audit?user=auditee&action=auth.login"));
    JsonNode login = only(log);
    assertThat(login.path("outcome").asInt()).isEqualTo(401);
    assertThat(login.path("user_id").isNull()).isTrue();
    JsonNode created =
        only(
            coffer.get(
                coffer.v1(
                    "/mgmt/audit?action=user.create&outcome=201&target="
                        + user.body().at("/user/id").asText())));
    assertThat(created.path("user").asText()).isEqualTo("admin");

    String everything = coffer.get(coffer.v1("/mgmt/audit?limit=1000")).raw();
    assertThat(everything).contains("auditee").doesNotContain(password).doesNotContain(wrong);
    // The server's own URL: the same in-process database, not a second opener of its file.
    String url = StateStore.embeddedUrl(coffer.home.resolve("state"));
    StringBuilder rows = new StringBuilder();
    try (Connection c = DriverManager.getConnection(url, "coffer", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select * from audit_log")) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          rows.append(rs.getString(i)).append('|');
        }
      }
    }
    assertThat(rows.toString())
        .contains("auth.login")
        .doesNotContain(password)
        .doesNotContain(wrong);
  }

  @Test
  void administratorsFilterAndPageTheAuditLogAndMembersAreRefused() throws Exception {
    Instant before = Instant.now();
    List<String> ids = new ArrayList<>();
    for (String name : List.of("pg-a", "pg-b", "pg-c")) {
      var r = coffer.post("/coffer/v1/projects", "{\"project\":{\"name\":\"" + name + "\"}}");
      assertThat(r.status()).as(r.raw()).isEqualTo(201);
      ids.add(r.body().at("/project/id").asText());
    }
    var bad = coffer.post("/coffer/v1/projects", "{\"project\":{}}");
    assertThat(bad.status()).isEqualTo(400);
    String since = "&since=" + before;

    var page1 =
        coffer.get(coffer.v1("/mgmt/audit?action=project.create&outcome=201&limit=2" + since));
    assertThat(page1.status()).as(page1.raw()).isEqualTo(200);
    assertThat(targets(page1)).containsExactly(ids.get(2), ids.get(1));
    String next = page1.body().at("/links/0/href").asText();
    assertThat(next).contains("marker=");
    var page2 = coffer.get(next.substring(next.indexOf("/v1.0/")));
    assertThat(targets(page2)).containsExactly(ids.get(0));
    assertThat(page2.body().path("links")).isEmpty();

    assertThat(
            targets(coffer.get(coffer.v1("/mgmt/audit?action=project.create&outcome=400" + since))))
        .hasSize(1);
    assertThat(
            coffer
                .get(coffer.v1("/mgmt/audit?until=" + before + "&target=" + ids.get(0)))
                .body()
                .path("audit"))
        .isEmpty();
    assertThat(coffer.get(coffer.v1("/mgmt/audit?outcome=abc")).status()).isEqualTo(400);
    assertThat(coffer.get(coffer.v1("/mgmt/audit?since=yesterday")).status()).isEqualTo(400);
    assertThat(requestIdOf(coffer.v1("/mgmt/audit"))).startsWith("req-");

    var member =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\"plain\",\"password\":\"Plain-pass-1\",\"project_id\":\""
                + coffer.project
                + "\",\"role\":\"member\"}}");
    assertThat(member.status()).as(member.raw()).isEqualTo(201);
    var token =
        coffer.send(
            "POST",
            "/coffer/v1/tokens",
            "{\"username\":\"plain\",\"password\":\"Plain-pass-1\"}",
            null);
    assertThat(token.status()).as(token.raw()).isEqualTo(201);
    var refused =
        coffer.send("GET", coffer.v1("/mgmt/audit"), null, token.body().at("/token/id").asText());
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.body().has("forbidden")).isTrue();
  }

  private static String requestIdOf(String path) throws Exception {
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(coffer.url() + path))
                    .header("X-Auth-Token", coffer.token)
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
    return response.headers().firstValue("x-openstack-request-id").orElse("");
  }

  private static List<String> targets(TestCoffer.Response r) {
    List<String> targets = new ArrayList<>();
    r.body().path("audit").forEach(e -> targets.add(e.path("target").asText()));
    return targets;
  }

  private static JsonNode only(TestCoffer.Response r) {
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    assertThat(r.body().path("audit")).as(r.raw()).hasSize(1);
    return r.body().path("audit").get(0);
  }

  private static JsonNode events(String id) {
    var r = coffer.get(coffer.v1("/instances/" + id + "/events"));
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    return r.body().path("events");
  }

  private static List<String> types(String id) {
    List<String> types = new ArrayList<>();
    events(id).forEach(e -> types.add(e.path("type").asText()));
    return types;
  }

  private static List<String> statuses(String id) {
    List<String> statuses = new ArrayList<>();
    events(id)
        .forEach(
            e -> {
              if (e.path("type").asText().equals("instance.status_changed")) {
                statuses.add(e.path("details").path("to").asText());
              }
            });
    return statuses;
  }
}

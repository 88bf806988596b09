package dev.coffer.server.quotas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import dev.coffer.server.identity.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trove's per-project quotas: an admin sets a project's limits, concurrent creates never take more
 * than the limit (413 overLimit naming the resource with its use and limit), and the project sees
 * its use beside its limits.
 */
class ProjectQuotaTest {
  static TestCoffer coffer;
  static String team;
  static String member;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.105"));
    var identity = coffer.coffer.identity();
    team = identity.createProject("quota-team").id();
    identity.createUserAccount("quinn", "quinn-password-1", team, Role.MEMBER);
    member =
        identity.login("quinn", "quinn-password-1", Optional.empty(), Optional.empty()).secret();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static TestCoffer.Response asMember(String method, String path, String body) {
    return coffer.send(method, "/v1.0/" + team + path, body, member);
  }

  static TestCoffer.Response setQuota(String body) {
    return coffer.put(coffer.v1("/mgmt/quotas/" + team), body);
  }

  @Test
  void twentyConcurrentCreatesAgainstAQuotaOfFiveCreateExactlyFive() throws Exception {
    var set = setQuota("{\"quotas\":{\"instances\":5,\"backups\":0,\"clusters\":10}}");
    assertThat(set.status()).as(set.raw()).isEqualTo(200);
    assertThat(set.body().at("/quotas/instances").asInt()).isEqualTo(5);

    int attempts = 20;
    int limit = 5;
    ExecutorService pool = Executors.newFixedThreadPool(attempts);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestCoffer.Response>> results = new ArrayList<>();
    for (int i = 0; i < attempts; i++) {
      String body =
          "{\"instance\":{\"name\":\"racer-"
              + i
              + "\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}";
      results.add(
          pool.submit(
              () -> {
                go.await();
                return asMember("POST", "/instances", body);
              }));
    }
    go.countDown();
    List<String> created = new ArrayList<>();
    List<TestCoffer.Response> refused = new ArrayList<>();
    for (Future<TestCoffer.Response> f : results) {
      TestCoffer.Response r = f.get();
      if (r.status() == 200) {
        created.add(r.body().at("/instance/id").asText());
      } else {
        refused.add(r);
      }
    }
    pool.shutdown();
    assertThat(created).hasSize(limit);
    assertThat(refused).hasSize(attempts - limit);
    for (TestCoffer.Response r : refused) {
      assertThat(r.status()).as(r.raw()).isEqualTo(413);
      assertThat(r.body().at("/overLimit/message").asText())
          .startsWith("Quota exceeded for resources: ['instances'].")
          .contains("instances: in use 5, requested 1, limit 5");
    }
    List<String> listed = new ArrayList<>();
    asMember("GET", "/instances", null)
        .body()
        .path("instances")
        .forEach(i -> listed.add(i.path("id").asText()));
    assertThat(listed).containsExactlyInAnyOrderElementsOf(created);

    // Each create is announced once, as BUILD, and nothing it did in its transaction was seen
    // as a deletion by the status watcher's sweep.
    for (String id : created) {
      List<String> announced = new ArrayList<>();
      coffer
          .send("GET", "/coffer/v1/events?target=" + id, null, member)
          .body()
          .path("events")
          .forEach(
              e -> announced.add(e.path("type").asText() + ":" + e.at("/details/to").asText()));
      assertThat(announced).as(id).startsWith("instance.status_changed:BUILD");
      assertThat(announced).as(id).doesNotContain("instance.deleted:");
      assertThat(announced.stream().filter("instance.status_changed:BUILD"::equals))
          .as(id + " " + announced)
          .hasSize(1);
    }

    JsonNode limits = asMember("GET", "/limits", null).body().at("/limits/0");
    assertThat(limits.path("verb").asText()).isEqualTo("ABSOLUTE");
    assertThat(limits.path("max_instances").asInt()).isEqualTo(limit);
    assertThat(limits.path("used_instances").asInt()).isEqualTo(limit);
    assertThat(limits.path("used_volumes").asInt()).isEqualTo(limit);
    assertThat(limits.path("max_backups").asInt()).isZero();

    JsonNode quotas = coffer.get(coffer.v1("/mgmt/quotas/" + team)).body().path("quotas");
    List<String> rows = new ArrayList<>();
    quotas.forEach(
        q ->
            rows.add(
                q.path("resource").asText()
                    + "="
                    + q.path("in_use").asInt()
                    + "/"
                    + q.path("limit").asInt()));
    assertThat(rows)
        .containsExactly("instances=5/5", "volumes=5/40", "backups=0/0", "clusters=0/10");

    // The backups quota is checked like the others once the instance could be backed up.
    String first = created.get(0);
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofMinutes(2))
        .pollInterval(java.time.Duration.ofMillis(250))
        .until(
            () ->
                asMember("GET", "/instances/" + first, null)
                    .body()
                    .at("/instance/status")
                    .asText()
                    .equals("ACTIVE"));
    var backup =
        asMember(
            "POST", "/backups", "{\"backup\":{\"name\":\"b\",\"instance\":\"" + first + "\"}}");
    assertThat(backup.status()).as(backup.raw()).isEqualTo(413);
    assertThat(backup.raw()).contains("['backups']", "backups: in use 0, requested 1, limit 0");

    // Freed instances make room again; all five go so the class stays light.
    for (String id : created) {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofMinutes(2))
          .pollInterval(java.time.Duration.ofMillis(250))
          .until(() -> asMember("DELETE", "/instances/" + id, null).status() == 202);
    }
    for (String id : created) {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofMinutes(1))
          .pollInterval(java.time.Duration.ofMillis(250))
          .until(() -> asMember("GET", "/instances/" + id, null).status() == 404);
    }
    var again =
        asMember(
            "POST",
            "/instances",
            "{\"instance\":{\"name\":\"again\",\"flavorRef\":1,\"volume\":{\"size\":1},"
                + "\"datastore\":{\"type\":\"redis\"}}}");
    assertThat(again.status()).as(again.raw()).isEqualTo(200);
  }

  @Test
  void aClusterAndAVolumeBeyondTheirQuotasAreRefusedBeforeAnythingIsCreated() {
    String admin = coffer.v1("/mgmt/quotas/" + coffer.project);
    assertThat(coffer.put(admin, "{\"quotas\":{\"clusters\":0,\"volumes\":2}}").status())
        .isEqualTo(200);
    try {
      String node = "{\"flavorRef\":\"1\",\"volume\":{\"size\":1}}";
      var cluster =
          coffer.post(
              coffer.v1("/clusters"),
              "{\"cluster\":{\"name\":\"over\",\"datastore\":{\"type\":\"redis\"},"
                  + "\"instances\":["
                  + String.join(",", node, node, node)
                  + "]}}");
      assertThat(cluster.status()).as(cluster.raw()).isEqualTo(413);
      assertThat(cluster.raw())
          .contains("'volumes'", "'clusters'", "clusters: in use 0, requested 1, limit 0");
      var volume =
          coffer.post(
              coffer.v1("/instances"),
              "{\"instance\":{\"name\":\"big\",\"flavorRef\":1,\"volume\":{\"size\":3},"
                  + "\"datastore\":{\"type\":\"redis\"}}}");
      assertThat(volume.status()).isEqualTo(413);
      assertThat(volume.raw()).contains("volumes: in use 0, requested 3, limit 2");
      assertThat(coffer.get(coffer.v1("/instances")).body().path("instances")).isEmpty();
    } finally {
      coffer.put(admin, "{\"quotas\":{\"clusters\":10,\"volumes\":40}}");
    }
  }

  @Test
  void onlyAdminsChangeQuotasAndBadValuesAreNamed() {
    var byMember =
        coffer.send(
            "PUT",
            "/v1.0/" + team + "/mgmt/quotas/" + team,
            "{\"quotas\":{\"instances\":99}}",
            member);
    assertThat(byMember.status()).isEqualTo(403);
    assertThat(asMember("GET", "/mgmt/quotas/" + team, null).status()).isEqualTo(403);

    var unknown = setQuota("{\"quotas\":{\"ram\":5}}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.raw()).contains("quotas['ram']");
    var negative = setQuota("{\"quotas\":{\"volumes\":-5}}");
    assertThat(negative.status()).isEqualTo(400);
    assertThat(negative.raw()).contains("quotas['volumes']");
    var empty = setQuota("{\"quotas\":{}}");
    assertThat(empty.status()).isEqualTo(400);
    var noProject =
        coffer.put(coffer.v1("/mgmt/quotas/nosuchproject"), "{\"quotas\":{\"instances\":1}}");
    assertThat(noProject.status()).isEqualTo(404);

    var unlimited = setQuota("{\"quotas\":{\"clusters\":-1}}");
    assertThat(unlimited.status()).as(unlimited.raw()).isEqualTo(200);
    assertThat(unlimited.body().at("/quotas/clusters").asInt()).isEqualTo(-1);
  }
}

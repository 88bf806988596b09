package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.api.agent.Json;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Trove wire contract for everything that needs no running engine. */
class ApiContractTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void versionsNeedNoToken() {
    var r = coffer.send("GET", "/", null, null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().at("/versions/0/id").asText()).isEqualTo("v1.0");
  }

  @Test
  void everyCallWithoutAValidTokenIsRefusedWithATroveFault() {
    var r = coffer.send("GET", coffer.v1("/instances"), null, null);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.body().at("/unauthorized/code").asInt()).isEqualTo(401);
    var bad = coffer.send("GET", coffer.v1("/instances"), null, "not-a-token");
    assertThat(bad.status()).isEqualTo(401);
  }

  @Test
  void aTokenCannotActInAnotherProject() {
    var r = coffer.get("/v1.0/someoneelse/instances");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.body().has("forbidden")).isTrue();
  }

  @Test
  void installedEnginesAreRegisteredAsDatastoresWithADefaultVersion() {
    var r = coffer.get(coffer.v1("/datastores"));
    assertThat(r.status()).isEqualTo(200);
    Set<String> names = new HashSet<>();
    r.body()
        .path("datastores")
        .forEach(
            ds -> {
              names.add(ds.path("name").asText());
              assertThat(ds.path("default_version").asText()).isNotEmpty();
              assertThat(ds.path("versions").get(0).path("active").asInt()).isEqualTo(1);
            });
    assertThat(names).contains("mariadb", "postgresql", "redis").doesNotContain("mysql");
    var mariadb = coffer.get(coffer.v1("/datastores/mariadb/versions"));
    String version = mariadb.body().at("/versions/0/name").asText();
    String id = mariadb.body().at("/versions/0/id").asText();
    assertThat(version).isEqualTo("10.11");
    assertThat(
            coffer
                .get(coffer.v1("/datastores/mariadb/versions/" + version))
                .body()
                .at("/version/id")
                .asText())
        .isEqualTo(id);
    assertThat(
            coffer.get(coffer.v1("/datastores/versions/" + id)).body().at("/version/name").asText())
        .isEqualTo(version);
    assertThat(coffer.get(coffer.v1("/datastores/nosuch")).status()).isEqualTo(404);
  }

  @Test
  void flavorsAreFoundByIdAndNamesAnswer404SoClientsCanResolveThem() {
    var list = coffer.get(coffer.v1("/flavors"));
    assertThat(list.body().path("flavors").size()).isGreaterThanOrEqualTo(3);
    var one = coffer.get(coffer.v1("/flavors/2"));
    assertThat(one.body().at("/flavor/name").asText()).isEqualTo("m1.small");
    assertThat(one.body().at("/flavor/id").asInt()).isEqualTo(2);
    var byName = coffer.get(coffer.v1("/flavors/m1.small"));
    assertThat(byName.status()).isEqualTo(404);
    assertThat(byName.body().at("/itemNotFound/message").asText())
        .isEqualTo("Flavor m1.small could not be found.");
  }

  @Test
  void anotherProjectsInstancesAnswer404() {
    var created =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"private\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\"}}}");
    String id = created.body().at("/instance/id").asText();
    var identity = coffer.coffer.identity();
    var team = identity.createProject("team-b");
    identity.createUserAccount(
        "bea", "bea-password-1", team.id(), dev.coffer.server.identity.Role.MEMBER);
    String other =
        identity
            .login("bea", "bea-password-1", java.util.Optional.empty(), java.util.Optional.empty())
            .secret();
    var r = coffer.send("GET", "/v1.0/" + team.id() + "/instances/" + id, null, other);
    assertThat(r.status()).isEqualTo(404);
    var list = coffer.send("GET", "/v1.0/" + team.id() + "/instances", null, other);
    assertThat(list.body().path("instances")).isEmpty();
    assertThat(
            coffer.send("DELETE", "/v1.0/" + team.id() + "/instances/" + id, null, other).status())
        .isEqualTo(404);
  }

  @Test
  void unknownInstancesAnswer404InTroveFormat() {
    var r = coffer.get(coffer.v1("/instances/db1"));
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.body().at("/itemNotFound/message").asText())
        .isEqualTo("Instance db1 could not be found.");
    assertThat(coffer.get(coffer.v1("/instances")).body().path("instances").isArray()).isTrue();
  }

  @Test
  void theOpenApiDocumentDescribesExactlyTheRoutesServed() throws Exception {
    JsonNode doc;
    try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.json")) {
      doc = Json.newMapper().readTree(in);
    }
    Set<String> documented = new HashSet<>();
    for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
      path.getValue()
          .fieldNames()
          .forEachRemaining(m -> documented.add(m.toUpperCase() + " " + path.getKey()));
    }
    Set<String> served = new HashSet<>();
    // The web console's pages under /ui are HTML for browsers, not part of the API.
    coffer.coffer.routes().stream()
        .filter(r -> !r.path().startsWith("/ui"))
        .forEach(r -> served.add(r.method() + " " + r.path()));
    assertThat(documented).containsExactlyInAnyOrderElementsOf(served);
    assertThat(coffer.send("GET", "/openapi.json", null, null).status()).isEqualTo(200);
  }
}

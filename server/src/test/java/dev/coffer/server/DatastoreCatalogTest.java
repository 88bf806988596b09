package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.server.identity.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Operators add, hide, deprecate and choose default datastore versions; members see the result. */
class DatastoreCatalogTest {
  static TestCoffer coffer;
  static String member;
  static String memberProject;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
    var identity = coffer.coffer.identity();
    memberProject = identity.createProject("team-c").id();
    identity.createUserAccount("carl", "carl-password-1", memberProject, Role.MEMBER);
    member = identity.login("carl", "carl-password-1", Optional.empty(), Optional.empty()).secret();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static List<String> versionsSeenByMember() {
    var r =
        coffer.send("GET", "/v1.0/" + memberProject + "/datastores/redis/versions", null, member);
    List<String> names = new ArrayList<>();
    r.body().path("versions").forEach(v -> names.add(v.path("name").asText()));
    return names;
  }

  @Test
  void anOperatorRegistersAVersionMakesItDefaultThenHidesAndDeprecatesIt() {
    String installed =
        coffer.get(coffer.v1("/datastores/redis/versions")).body().at("/versions/0/name").asText();
    String server = "/usr/bin/redis-server";
    var added =
        coffer.post(
            "/coffer/v1/datastores/redis/versions",
            "{\"version\":{\"name\":\"7-lts\",\"binaries\":{\"server\":\""
                + server
                + "\"},\"default\":true}}");
    assertThat(added.status()).as(added.raw()).isEqualTo(201);
    String id = added.body().at("/version/id").asText();
    assertThat(
            coffer
                .get(coffer.v1("/datastores/redis"))
                .body()
                .at("/datastore/default_version")
                .asText())
        .isEqualTo(id);
    assertThat(versionsSeenByMember()).contains("7-lts", installed);

    assertThat(
            coffer
                .send(
                    "PATCH",
                    "/coffer/v1/datastores/redis/versions/7-lts",
                    "{\"state\":\"hidden\"}",
                    member)
                .status())
        .isEqualTo(403);
    assertThat(
            coffer
                .send(
                    "PATCH",
                    "/coffer/v1/datastores/redis/versions/7-lts",
                    "{\"state\":\"hidden\"}",
                    coffer.token)
                .status())
        .isEqualTo(200);
    assertThat(versionsSeenByMember()).doesNotContain("7-lts").contains(installed);
    var hiddenCreate =
        coffer.send(
            "POST",
            "/v1.0/" + memberProject + "/instances",
            "{\"instance\":{\"name\":\"h\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\",\"version\":\"7-lts\"}}}",
            member);
    assertThat(hiddenCreate.status()).isEqualTo(400);
    assertThat(hiddenCreate.body().at("/badRequest/message").asText())
        .contains("instance['datastore']['version']");

    assertThat(
            coffer
                .send(
                    "PATCH",
                    "/coffer/v1/datastores/redis/versions/7-lts",
                    "{\"state\":\"deprecated\"}",
                    coffer.token)
                .status())
        .isEqualTo(200);
    assertThat(versionsSeenByMember()).contains("7-lts");
    var deprecatedCreate =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"d\",\"flavorRef\":1,\"datastore\":{\"type\":\"redis\",\"version\":\"7-lts\"}}}");
    assertThat(deprecatedCreate.status()).isEqualTo(400);
    assertThat(deprecatedCreate.body().at("/badRequest/message").asText()).contains("deprecated");
  }

  @Test
  void aVersionMustNameRealExecutables() {
    var r =
        coffer.post(
            "/coffer/v1/datastores/redis/versions",
            "{\"version\":{\"name\":\"bogus\",\"binaries\":{\"server\":\"/nonexistent/redis-server\"}}}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body().at("/badRequest/message").asText())
        .contains("version['binaries']['server']");
    var unknown =
        coffer.post(
            "/coffer/v1/datastores/oracle/versions",
            "{\"version\":{\"name\":\"1\",\"binaries\":{\"server\":\"/bin/true\"}}}");
    assertThat(unknown.status()).isEqualTo(400);
  }
}

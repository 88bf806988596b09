package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hundreds of malformed requests: every one gets a 4xx with a Trove fault body, never a 5xx. */
class MalformedRequestsTest {
  static TestCoffer coffer;
  static String instanceId;

  @BeforeAll
  static void start() throws Exception {
    coffer = TestCoffer.start();
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"target\",\"flavorRef\":1,\"volume\":{\"size\":1},\"datastore\":{\"type\":\"mariadb\"}}}");
    assertThat(r.status()).isEqualTo(200);
    instanceId = r.body().at("/instance/id").asText();
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  static final String[] NASTY = {
    "\"\"",
    "null",
    "1",
    "-1",
    "1e309",
    "true",
    "[]",
    "{}",
    "\"x\"",
    "\"" + "a".repeat(300) + "\"",
    "\"'; DROP TABLE users; --\"",
    "\"a`b\"",
    "\"a\\\"b\"",
    "\"\\u0000\"",
    "\"%\"",
    "\"@@\"",
    "[{}]",
    "[1,2]",
    "{\"name\":{}}",
    "\"root\"",
    "\"os_admin\"",
    "\"mysql\"",
    "\"../../etc\"",
    "\"a b\"",
    "99999999999"
  };

  static final String[] BODIES = {
    "",
    "{",
    "[]",
    "null",
    "\"text\"",
    "{\"instance\":null}",
    "{\"instance\":[]}",
    "{\"instance\":{}}",
    "{\"users\":{}}",
    "{\"databases\":\"x\"}",
    "{\"user\":1}",
    "not json at all",
    "{\"restart\":{},\"x\":{}}",
  };

  List<String[]> requests() {
    List<String[]> all = new ArrayList<>();
    String inst = coffer.v1("/instances");
    String one = inst + "/" + instanceId;
    String[][] targets = {
      {"POST", inst, "instance", "name"},
      {"POST", inst, "instance", "flavorRef"},
      {"POST", inst, "instance", "volume"},
      {"POST", inst, "instance", "datastore"},
      {"POST", inst, "instance", "databases"},
      {"POST", inst, "instance", "users"},
      {"POST", inst, "instance", "access"},
      {"PUT", one, "instance", "name"},
      {"PUT", one, "instance", "access"},
      {"POST", one + "/action", null, "restart"},
      {"POST", one + "/databases", null, "databases"},
      {"POST", one + "/users", null, "users"},
      {"PUT", one + "/users/app", "user", "password"},
      {"PUT", one + "/users/app/databases", null, "databases"},
      {"POST", coffer.v1("/backup_strategies"), "backup_strategy", "swift_container"},
      {"POST", coffer.v1("/backup_strategies"), "backup_strategy", "instance_id"},
      {"POST", coffer.v1("/backups"), "backup", "swift_container"},
      {"PUT", one + "/backup_schedule", "backup_schedule", "verify"},
      {"POST", "/coffer/v1/tokens", null, "username"},
      {"POST", "/coffer/v1/projects", "project", "name"},
      {"POST", "/coffer/v1/users", "user", "name"},
      {"POST", "/coffer/v1/datastores/redis/versions", "version", "name"},
      {"POST", "/coffer/v1/datastores/redis/versions", "version", "binaries"},
      {"PATCH", "/coffer/v1/datastores/redis/versions/7.0", null, "state"},
      {"PATCH", "/coffer/v1/datastores/redis/versions/7.0", null, "default"},
    };
    for (String[] t : targets) {
      for (String value : NASTY) {
        String field = "{\"" + t[3] + "\":" + value + "}";
        all.add(
            new String[] {t[0], t[1], t[2] == null ? field : "{\"" + t[2] + "\":" + field + "}"});
      }
      for (String body : BODIES) {
        all.add(new String[] {t[0], t[1], body});
      }
    }
    Random random = new Random(42);
    String[] validUser = {
      "{\"users\":[{\"name\":\"", "\",\"password\":\"pw1\",\"databases\":[{\"name\":\"", "\"}]}]}"
    };
    for (int i = 0; i < 60; i++) {
      String name = NASTY[random.nextInt(NASTY.length)].replace("\"", "");
      String db = NASTY[random.nextInt(NASTY.length)].replace("\"", "");
      all.add(
          new String[] {
            "POST", one + "/users", validUser[0] + name + validUser[1] + db + validUser[2]
          });
      all.add(
          new String[] {
            "POST",
            one + "/databases",
            "{\"databases\":[{\"name\":\"" + name + "\",\"character_set\":\"" + db + "\"}]}"
          });
    }
    for (String path :
        new String[] {
          one + "/users/%27%3B%20drop",
          one + "/users/a@b@c",
          one + "/databases/..%2F..",
          inst + "?limit=abc",
          inst + "?limit=-5",
          inst + "?marker=nosuch",
          one + "/users/root",
          one + "/databases/mysql",
          "/v1.0/" + coffer.project + "/nosuch",
          "/v1.0/" + coffer.project + "/flavors/%20",
          one + "/root",
          coffer.v1("/backup_strategies?instance_id=%27%3B%20drop"),
          coffer.v1("/backup_strategies?project_id=" + "p".repeat(300)),
          coffer.v1("/backup_strategies?instance_id=" + "i".repeat(300))
        }) {
      all.add(new String[] {"GET", path, null});
      all.add(new String[] {"DELETE", path, null});
      all.add(new String[] {"PATCH", path, "{}"});
    }
    return all;
  }

  @Test
  void noMalformedRequestCausesA5xx() {
    List<String[]> requests = requests();
    assertThat(requests.size()).isGreaterThan(300);
    List<String> failures = new ArrayList<>();
    for (String[] r : requests) {
      var response = coffer.send(r[0], r[1], r[2], coffer.token);
      if (response.status() >= 500) {
        failures.add(
            response.status() + " " + r[0] + " " + r[1] + " " + r[2] + " -> " + response.raw());
      }
      if (response.status() >= 400) {
        assertThat(response.body()).as("fault body for %s %s", r[0], r[1]).isNotNull();
        assertThat(response.body().fieldNames().next()).isNotBlank();
        assertThat(response.raw()).doesNotContain("Exception").doesNotContain("\tat ");
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void namesThatLookLikeSqlInjectionAreRefusedNamingTheField() {
    var r =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"x\",\"flavorRef\":1,\"datastore\":{\"type\":\"mariadb\"},"
                + "\"databases\":[{\"name\":\"a`; DROP DATABASE mysql; --\"}]}}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body().at("/badRequest/message").asText())
        .contains("instance['databases'][0]['name']");
  }

  @Test
  void anOversizedVolumeIsOverLimitAndAnUnknownDatastoreIsABadRequest() {
    var big =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"big\",\"flavorRef\":1,\"volume\":{\"size\":500}}}");
    assertThat(big.status()).isEqualTo(413);
    assertThat(big.body().at("/overLimit/message").asText()).contains("500");
    var unknown =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"u\",\"flavorRef\":1,\"datastore\":{\"type\":\"oracle\"}}}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.body().at("/badRequest/message").asText())
        .contains("instance['datastore']['type']");
    var flavor =
        coffer.post(
            coffer.v1("/instances"), "{\"instance\":{\"name\":\"f\",\"flavorRef\":\"m9.huge\"}}");
    assertThat(flavor.status()).isEqualTo(400);
    assertThat(flavor.body().at("/badRequest/message").asText()).contains("instance['flavorRef']");
    String currentName =
        coffer.get(coffer.v1("/instances/" + instanceId)).body().at("/instance/name").asText();
    var duplicate =
        coffer.post(
            coffer.v1("/instances"),
            "{\"instance\":{\"name\":\"" + currentName + "\",\"flavorRef\":1}}");
    assertThat(duplicate.status()).isEqualTo(409);
  }

  @Test
  void actionsInTheWrongStateAreUnprocessable() {
    var status = coffer.status(instanceId).orElseThrow();
    if (status.equals("BUILD")) {
      assertThat(coffer.delete(coffer.v1("/instances/" + instanceId)).status()).isEqualTo(422);
      assertThat(
              coffer
                  .post(coffer.v1("/instances/" + instanceId + "/action"), "{\"restart\":{}}")
                  .status())
          .isEqualTo(422);
    }
  }
}

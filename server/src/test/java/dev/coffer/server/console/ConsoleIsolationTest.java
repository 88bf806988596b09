package dev.coffer.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Projects stay apart in the console exactly as in the API: a member of project A can neither see
 * nor act on project B's instance, even by typing its URL or posting to it, and a form posted
 * without the session's CSRF token is refused.
 */
class ConsoleIsolationTest {
  private static TestCoffer coffer;
  private static Browser browser;
  private static String projectB;
  private static String instanceB;
  private static String bobToken;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Browser.available())
        .as("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
        .isTrue();
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.114"));
    String projectA = project("team-a");
    projectB = project("team-b");
    user("alice", projectA);
    user("bob", projectB);
    user("carol", projectA);
    user("carol", projectB);
    bobToken =
        coffer
            .post(
                "/coffer/v1/tokens",
                "{\"username\":\"bob\",\"password\":\"Member-pass-1\",\"project\":\"team-b\"}")
            .body()
            .at("/token/id")
            .asText();
    var created =
        coffer.send(
            "POST",
            "/v1.0/" + projectB + "/instances",
            "{\"instance\":{\"name\":\"b-cache\",\"flavorRef\":\"1\",\"volume\":{\"size\":1},"
                + "\"datastore\":{\"type\":\"redis\"}}}",
            bobToken);
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    instanceB = created.body().at("/instance/id").asText();
    browser = new Browser(coffer.url());
  }

  private static String project(String name) {
    return coffer
        .post("/coffer/v1/projects", "{\"project\":{\"name\":\"" + name + "\"}}")
        .body()
        .at("/project/id")
        .asText();
  }

  private static void user(String name, String project) {
    var created =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\""
                + name
                + "\",\"password\":\"Member-pass-1\",\"project_id\":\""
                + project
                + "\"}}");
    assertThat(created.status()).as(created.raw()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (coffer != null) {
      coffer.close();
    }
  }

  @Test
  void aMemberOfAnotherProjectCannotSeeOrActOnAnInstanceByItsUrl() {
    browser.logIn("alice", "Member-pass-1");
    assertThat(browser.find("#instance-rows").getText()).doesNotContain("b-cache");

    browser.open("/ui/instances/" + instanceB);
    assertThat(browser.find("h1").getText()).isEqualTo("Not found");
    assertThat(browser.driver.getPageSource()).doesNotContain("b-cache");

    // A well-formed post with alice's own CSRF token: the API refuses it for her project.
    String csrf =
        (String) browser.script("return document.querySelector('input[name=csrf]').value");
    Object status =
        browser.script(
            "const f = new FormData(); f.append('csrf', arguments[1]); f.append('confirm', 'b-cache');"
                + "return fetch('/ui/instances/' + arguments[0] + '/delete', {method: 'POST', body: f})"
                + ".then(r => r.url);",
            instanceB,
            csrf);
    assertThat(status).asString().endsWith("/ui/instances/" + instanceB);
    JsonNode stillThere =
        coffer.send("GET", "/v1.0/" + projectB + "/instances/" + instanceB, null, bobToken).body();
    assertThat(stillThere.at("/instance/status").asText()).isNotEqualTo("SHUTDOWN");

    // Without the CSRF token nothing is even tried.
    Object refused =
        browser.script(
            "return fetch('/ui/instances/' + arguments[0] + '/restart', {method: 'POST'})"
                + ".then(r => r.status);",
            instanceB);
    assertThat(refused).isEqualTo(403L);
  }

  @Test
  void onlyAdminsSeeEveryProjectsInstancesAndTheCatalog() {
    var admin =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\"operator\",\"password\":\"Operator-pass-1\",\"project_id\":\""
                + coffer.project
                + "\",\"role\":\"admin\"}}");
    assertThat(admin.status()).as(admin.raw()).isEqualTo(201);
    browser.logIn("alice", "Member-pass-1");
    assertThat(browser.all("a[href='/ui/admin/instances']")).isEmpty();
    browser.open("/ui/admin/instances");
    assertThat(browser.find("h1").getText()).isEqualTo("Admins only");

    browser.logIn("operator", "Operator-pass-1");
    browser.find("a[href='/ui/admin/instances']").click();
    browser.waitFor().until(d -> browser.find("#instance-rows").getText().contains("b-cache"));
    assertThat(browser.find("#instance-rows").getText()).contains(projectB);
    browser.open("/ui/admin/datastores");
    assertThat(browser.all("tr[data-version^='mariadb/']")).isNotEmpty();
    assertThat(browser.find("tr[data-version^='redis/']").getText()).contains("active");
  }

  @Test
  void aMemberOfTwoProjectsSwitchesBetweenThem() {
    browser.logIn("carol", "Member-pass-1");
    assertThat(browser.find("#instance-rows").getText()).doesNotContain("b-cache");
    browser.choose("project-switch", projectB);
    browser.waitFor().until(d -> browser.find("#instance-rows").getText().contains("b-cache"));
    assertThat(browser.find("#notice").getText()).contains("team-b");
  }
}

package dev.coffer.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.coffer.server.TestCoffer;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The console end to end in a real headless Chromium: a member signs in, creates a MariaDB instance
 * with a database and a user through the wizard, watches it become ACTIVE without reloading, copies
 * its connection string and connects with it, backs it up, restores the backup into a new instance
 * and deletes both.
 */
class ConsoleBrowserTest {
  private static final String PASSWORD = "Alice-pass-1";
  private static final String APP_PASSWORD = "Shop-pass-1";
  private static TestCoffer coffer;
  private static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Browser.available())
        .as("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
        .isTrue();
    coffer = TestCoffer.start(Map.of("COFFER_ADDRESS_POOL", "127.113"));
    String project =
        coffer
            .post("/coffer/v1/projects", "{\"project\":{\"name\":\"team-a\"}}")
            .body()
            .at("/project/id")
            .asText();
    var user =
        coffer.post(
            "/coffer/v1/users",
            "{\"user\":{\"name\":\"alice\",\"password\":\""
                + PASSWORD
                + "\",\"project_id\":\""
                + project
                + "\"}}");
    assertThat(user.status()).as(user.raw()).isEqualTo(201);
    browser = new Browser(coffer.url());
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
  void aMemberCreatesConnectsBacksUpRestoresAndDeletesAMariaDbInstance() throws Exception {
    browser.logIn("alice", PASSWORD);
    assertThat(browser.find("#instance-rows").getText()).contains("No instances yet");
    assertThat(browser.script("return document.cookie"))
        .asString()
        .doesNotContain("coffer_console");
    browser.screenshot("console-empty-list");

    // The wizard puts the API's own message beside the field it names.
    browser.find("a[href='/ui/instances/new']").click();
    browser.choose("datastore", "mariadb");
    browser.choose("flavor", "2");
    browser.type("volume", "0");
    browser.type("name", "shop");
    browser.type("databases", "orders");
    browser.type("user", "app");
    browser.type("password", APP_PASSWORD);
    browser.find("#create").click();
    WebElement volumeError = browser.waitFor().until(d -> d.findElement(By.id("error-volume")));
    assertThat(volumeError.getText()).contains("instance['volume']['size']");
    assertThat(browser.driver.getPageSource()).doesNotContain(APP_PASSWORD);
    browser.type("volume", "1");
    browser.type("password", APP_PASSWORD);
    browser.screenshot("console-wizard");
    browser.find("#create").click();
    browser.waitFor().until(d -> d.getCurrentUrl().matches(".*/ui/instances/[0-9a-f-]{36}$"));
    String shopId = browser.driver.getCurrentUrl().replaceAll(".*/", "");
    assertThat(browser.driver.getPageSource()).doesNotContain(APP_PASSWORD);

    // The list shows the instance turn ACTIVE by itself: the page is never reloaded.
    browser.open("/ui/instances");
    browser.script("window.loadedOnce = 'yes';");
    String badge = "tr[data-instance='" + shopId + "'] .badge";
    browser
        .waitFor(Duration.ofMinutes(3))
        .until(d -> "ACTIVE".equals(browser.find(badge).getAttribute("data-status")));
    assertThat(browser.script("return window.loadedOnce")).isEqualTo("yes");
    browser.screenshot("console-instances");

    // The connection string, copied from the detail page, connects as the wizard's user.
    browser.find("a[href='/ui/instances/" + shopId + "']").click();
    browser.waitFor().until(d -> !browser.all("#connection-string").isEmpty());
    browser.acceptConfirmations();
    browser.find("button[data-copy-from='connection-string']").click();
    browser.waitFor().until(d -> !browser.find(".copied").getText().isEmpty());
    String copied = browser.find("#connection-string").getText();
    URI uri = URI.create(copied);
    assertThat(uri.getScheme()).isEqualTo("mariadb");
    assertThat(uri.getUserInfo()).isEqualTo("app");
    String jdbc = "jdbc:mariadb://" + uri.getHost() + ":" + uri.getPort() + uri.getPath();
    try (Connection c = DriverManager.getConnection(jdbc, "app", APP_PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE order_lines (id INT PRIMARY KEY, item VARCHAR(20))");
      s.execute("INSERT INTO order_lines VALUES (1, 'coffee'), (2, 'beans')");
    }
    browser.screenshot("console-instance-detail");

    // Back up now; the backup shows COMPLETED on the instance's page.
    browser.find("#backup-now").click();
    browser.waitFor().until(d -> d.findElement(By.id("notice")).getText().contains("Backup"));
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              browser.open("/ui/instances/" + shopId);
              return browser.all("[data-backup] .badge").stream()
                  .anyMatch(b -> b.getText().equals("COMPLETED"));
            });

    // Restore it into a new instance from the backups page.
    browser.open("/ui/backups");
    WebElement row = browser.find("tr[data-backup]");
    String backupId = row.getAttribute("data-backup");
    browser.type("restore-name-" + backupId, "shop-restored");
    browser.choose("restore-flavor-" + backupId, "2");
    row.findElement(By.cssSelector("button[type=submit]")).click();
    browser.waitFor().until(d -> d.getCurrentUrl().matches(".*/ui/instances/[0-9a-f-]{36}$"));
    String restoredId = browser.driver.getCurrentUrl().replaceAll(".*/", "");
    assertThat(restoredId).isNotEqualTo(shopId);
    browser
        .waitFor(Duration.ofMinutes(3))
        .until(d -> "ACTIVE".equals(browser.find("#status").getAttribute("data-status")));
    String endpoint = browser.find("#endpoint").getText();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://" + endpoint + "/orders", "app", APP_PASSWORD);
        ResultSet rows = c.createStatement().executeQuery("SELECT COUNT(*) FROM order_lines")) {
      rows.next();
      assertThat(rows.getInt(1)).isEqualTo(2);
    }

    // Delete both: the name must be typed first.
    for (String id : List.of(restoredId, shopId)) {
      browser.open("/ui/instances/" + id);
      String name = browser.find("h1").getText();
      browser.find("#delete-instance").click();
      assertThat(browser.driver.getCurrentUrl()).endsWith("/ui/instances/" + id);
      browser.type("confirm", name);
      browser.find("#confirm").sendKeys(Keys.ENTER);
      browser.waitFor().until(d -> d.getCurrentUrl().endsWith("/ui/instances"));
      assertThat(browser.find("#notice").getText()).contains("is being deleted");
    }
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> coffer.status(shopId).isEmpty() && coffer.status(restoredId).isEmpty());
    browser.waitFor().until(d -> browser.find("#instance-rows").getText().contains("No instances"));
  }

  @Test
  void everyPageHasLabelledInputsAKeyboardPathAndFitsANarrowWindow() throws Exception {
    browser.logIn("alice", PASSWORD);
    for (String page :
        List.of("/ui/instances", "/ui/instances/new", "/ui/backups", "/ui/clusters")) {
      browser.open(page);
      Object unlabelled =
          browser.script(
              "return Array.from(document.querySelectorAll('input:not([type=hidden]), select'))"
                  + ".filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))"
                  + ".map(e => e.name);");
      assertThat((List<?>) unlabelled).as("inputs without a label on %s", page).isEmpty();
      browser.find("body").sendKeys(Keys.TAB);
      assertThat(browser.script("return document.activeElement.className")).isEqualTo("skip");
    }
    browser.resize(400, 800);
    try {
      for (String page : List.of("/ui/instances", "/ui/instances/new")) {
        browser.open(page);
        assertThat(
                (Long)
                    browser.script(
                        "return document.documentElement.scrollWidth - window.innerWidth"))
            .as("horizontal overflow on %s", page)
            .isLessThanOrEqualTo(0L);
      }
      browser.open("/ui/instances/new");
      browser.screenshot("console-wizard-narrow");
    } finally {
      browser.resize(1280, 800);
    }
    browser.open("/ui/no-such-page");
    assertThat(browser.find("h1").getText()).isEqualTo("Not found");
    assertThat(browser.driver.getPageSource())
        .doesNotContain("Exception")
        .doesNotContain("at dev.");
  }
}

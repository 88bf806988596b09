package dev.coffer.server.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by its own chromedriver (never a downloaded browser), with the
 * few gestures the console tests need.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  final ChromeDriver driver;
  private final String base;

  Browser(String base) {
    this.base = base;
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,800");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    this.driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
  }

  static boolean available() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  void open(String path) {
    driver.get(base + path);
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  void type(String id, String text) {
    WebElement field = driver.findElement(By.id(id));
    field.clear();
    field.sendKeys(text);
  }

  void choose(String id, String value) {
    new Select(driver.findElement(By.id(id))).selectByValue(value);
  }

  void logIn(String user, String password) {
    open("/ui/login");
    type("username", user);
    type("password", password);
    find("form[action='/ui/login'] button[type=submit]").click();
    waitFor().until(d -> d.getCurrentUrl().endsWith("/ui/instances"));
  }

  /** Answers every confirm() dialog with OK from now on (the tests mean what they click). */
  void acceptConfirmations() {
    script("window.confirm = function () { return true; };");
  }

  Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  WebDriverWait waitFor() {
    return waitFor(Duration.ofSeconds(20));
  }

  WebDriverWait waitFor(Duration timeout) {
    WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(250));
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    return wait;
  }

  void resize(int width, int height) {
    driver.manage().window().setSize(new Dimension(width, height));
  }

  /**
   * Saves a screenshot under target/screenshots, and under docs/images when the build is asked to
   * refresh the docs ({@code -Dcoffer.writeDocs=true}).
   */
  void screenshot(String name) throws IOException {
    Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
    Path target = Path.of("target", "screenshots");
    Files.createDirectories(target);
    Files.copy(shot, target.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    if (Boolean.getBoolean("coffer.writeDocs")) {
      Path docs = Path.of("..", "docs", "images");
      Files.createDirectories(docs);
      Files.copy(shot, docs.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}

package dev.coffer.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.server.TestCoffer;
import dev.coffer.server.audit.AuditRoutes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The default text format: a line written while handling a request names the request's id, a line
 * written outside any request has no empty {@code request_id=} field; {@code COFFER_LOG_FILE}
 * (relative to the home) gets the server's lines.
 */
class TextLogsTest {
  static TestCoffer coffer;

  @BeforeAll
  static void start() throws Exception {
    coffer =
        TestCoffer.start(
            Map.of("COFFER_ADDRESS_POOL", "127.117", "COFFER_LOG_FILE", "log/server.log"));
  }

  @AfterAll
  static void stop() {
    coffer.close();
  }

  @Test
  void aTextLineWrittenWhileHandlingARequestNamesItsIdAndOthersDoNot() throws Exception {
    HttpResponse<String> created =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(coffer.url() + "/coffer/v1/projects"))
                    .header("Content-Type", "application/json")
                    .header("X-Auth-Token", coffer.token)
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"project\":{\"name\":\"text-logged\"}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isBetween(200, 202);
    String requestId = created.headers().firstValue(AuditRoutes.REQUEST_ID_HEADER).orElseThrow();

    List<String> lines = Files.readAllLines(coffer.home.resolve("log").resolve("server.log"));
    assertThat(lines)
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("request_id=" + requestId + " event=project_created")
                    .contains("name=text-logged"));
    assertThat(lines)
        .as("the bootstrap happens outside any request")
        .anySatisfy(line -> assertThat(line).contains("event=bootstrap"))
        .allSatisfy(line -> assertThat(line).doesNotContain("request_id= "));
    assertThat(lines)
        .filteredOn(line -> line.contains("event=bootstrap"))
        .allSatisfy(line -> assertThat(line).doesNotContain("request_id="));
  }
}

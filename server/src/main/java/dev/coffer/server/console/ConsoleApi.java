package dev.coffer.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;

/**
 * The console's only way to change anything: the REST API itself, called over loopback with the
 * signed-in user's token. Every rule, check and message is the API's, so the console cannot drift
 * from it.
 */
final class ConsoleApi {
  /** An API answer: its status and JSON body (missing when it had none). */
  record Reply(int status, JsonNode body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The message of a Trove fault body ({@code {"badRequest": {"message": …}}}). */
    String message() {
      Iterator<Map.Entry<String, JsonNode>> fields = body.properties().iterator();
      if (fields.hasNext()) {
        JsonNode message = fields.next().getValue().path("message");
        if (message.isTextual()) {
          return message.asText();
        }
      }
      return "The request failed (HTTP " + status + ").";
    }
  }

  private final String baseUrl;
  private final ObjectMapper json;
  private final HttpClient http;

  ConsoleApi(String baseUrl, ObjectMapper json) {
    this.baseUrl = baseUrl;
    this.json = json;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  Reply login(String user, String password, String project) {
    Map<String, Object> body =
        project.isBlank()
            ? Map.of("username", user, "password", password, "description", "web console")
            : Map.of(
                "username",
                user,
                "password",
                password,
                "project",
                project,
                "description",
                "web console");
    return send("POST", "/coffer/v1/tokens", null, body);
  }

  Reply get(ConsoleSession session, String path) {
    return send("GET", path, session.token(), null);
  }

  Reply post(ConsoleSession session, String path, Object body) {
    return send("POST", path, session.token(), body);
  }

  Reply put(ConsoleSession session, String path, Object body) {
    return send("PUT", path, session.token(), body);
  }

  Reply patch(ConsoleSession session, String path, Object body) {
    return send("PATCH", path, session.token(), body);
  }

  Reply delete(ConsoleSession session, String path) {
    return send("DELETE", path, session.token(), null);
  }

  private Reply send(String method, String path, String token, Object body) {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(baseUrl + path))
              .timeout(Duration.ofSeconds(60))
              .header("Accept", "application/json")
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
      if (body != null) {
        request.header("Content-Type", "application/json");
      }
      if (token != null) {
        request.header("X-Auth-Token", token);
      }
      HttpResponse<byte[]> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      byte[] bytes = response.body();
      JsonNode parsed = bytes.length == 0 ? MissingNode.getInstance() : json.readTree(bytes);
      return new Reply(response.statusCode(), parsed);
    } catch (IOException e) {
      throw new UncheckedIOException("the API did not answer " + method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted calling the API", e);
    }
  }
}

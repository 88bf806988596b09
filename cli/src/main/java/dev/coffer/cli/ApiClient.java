package dev.coffer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Sends JSON to one part of the server's API: the Trove API of a project ({@code /v1.0/{project}})
 * or Coffer's identity API ({@code /coffer/v1}). Every answer of 400 or more becomes an {@link
 * ApiException} carrying the server's fault message; every network failure a {@link CliException}
 * that says what to do.
 */
final class ApiClient {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient http;
  private final ObjectMapper mapper;
  private final String baseUrl;
  private final String prefix;
  private final String token;
  private final PrintStream debug;

  /**
   * @param token sent as X-Auth-Token, or null for the unauthenticated token request
   * @param debug where request lines are traced (never bodies, which may hold passwords), or null
   */
  ApiClient(
      HttpClient http,
      ObjectMapper mapper,
      String baseUrl,
      String prefix,
      String token,
      PrintStream debug) {
    this.http = http;
    this.mapper = mapper;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.prefix = prefix;
    this.token = token;
    this.debug = debug;
  }

  static HttpClient newHttpClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  JsonNode get(String path) {
    return send("GET", path, null);
  }

  JsonNode post(String path, JsonNode body) {
    return send("POST", path, body);
  }

  JsonNode patch(String path, JsonNode body) {
    return send("PATCH", path, body);
  }

  JsonNode put(String path, JsonNode body) {
    return send("PUT", path, body);
  }

  JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** Returns the parsed body, or a missing node when the answer has none (202, 204). */
  JsonNode send(String method, String path, JsonNode body) {
    String fullPath = prefix + path;
    URI uri = uri(fullPath);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
    if (token != null) {
      request.header("X-Auth-Token", token);
    }
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(write(body)));
    }
    long started = System.nanoTime();
    if (debug != null) {
      debug.println("> " + method + " " + uri);
    }
    HttpResponse<String> response = exchange(request.build());
    if (debug != null) {
      long millis = (System.nanoTime() - started) / 1_000_000;
      debug.println("< " + response.statusCode() + " (" + millis + " ms)");
    }
    JsonNode parsed = parse(response.body());
    if (response.statusCode() >= 400) {
      throw new ApiException(
          response.statusCode(),
          faultMessage(response.statusCode(), parsed, response.body()),
          path);
    }
    return parsed;
  }

  /**
   * Percent-encodes one path segment, keeping only RFC 3986 unreserved characters, the way the
   * Trove client does: {@code carol@10.0.0.%} becomes {@code carol%4010.0.0.%25}.
   */
  static String segment(String value) {
    StringBuilder encoded = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        encoded.append(c);
      } else {
        encoded.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return encoded.toString();
  }

  private URI uri(String fullPath) {
    try {
      URI uri = new URI(baseUrl + fullPath);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new URISyntaxException(baseUrl, "needs http://host:port");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new CliException(
          "the server url '" + baseUrl + "' is not valid",
          "give it as http://HOST:PORT with --url or COFFER_URL");
    }
  }

  private HttpResponse<String> exchange(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new CliException(
          "cannot connect to " + baseUrl, "is the server running? start it with './coffer up'", e);
    } catch (HttpTimeoutException e) {
      throw new CliException(
          "no answer from " + baseUrl + " in time", "check the server's log, then try again", e);
    } catch (IOException e) {
      throw new CliException(
          "cannot reach " + baseUrl + ": " + e.getMessage(),
          "is the server running? start it with './coffer up'",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", "run the command again", e);
    }
  }

  private String write(JsonNode body) {
    try {
      return mapper.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      return mapper.readTree(text);
    } catch (JsonProcessingException e) {
      return MissingNode.getInstance();
    }
  }

  /** Reads {@code {"itemNotFound":{"code":404,"message":"..."}}}; falls back to the raw text. */
  private static String faultMessage(int status, JsonNode parsed, String raw) {
    if (parsed.isObject() && parsed.size() == 1) {
      JsonNode message = parsed.elements().next().path("message");
      if (message.isTextual() && !message.asText().isBlank()) {
        return message.asText();
      }
    }
    String text = raw == null ? "" : raw.strip();
    if (text.isEmpty() || text.length() > 200) {
      return "the server answered HTTP " + status;
    }
    return "the server answered HTTP " + status + ": " + text;
  }
}

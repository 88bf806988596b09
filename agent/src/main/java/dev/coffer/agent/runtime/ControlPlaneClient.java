package dev.coffer.agent.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.AgentCommand;
import dev.coffer.api.agent.AgentPaths;
import dev.coffer.api.agent.CommandResult;
import dev.coffer.api.agent.Heartbeat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent's three calls to the control plane. The agent always initiates; every call carries the
 * instance's bearer secret. Connection problems surface as {@link IOException}s for the callers'
 * retry loops.
 */
final class ControlPlaneClient {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration POST_TIMEOUT = Duration.ofSeconds(10);

  /** Slack over the long-poll wait before a silent control plane counts as unreachable. */
  private static final Duration POLL_SLACK = Duration.ofSeconds(10);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(CONNECT_TIMEOUT)
          .build();
  private final String baseUrl;
  private final String instanceId;
  private final String authorization;
  private final ObjectMapper mapper;

  ControlPlaneClient(String baseUrl, String instanceId, String secret, ObjectMapper mapper) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.instanceId = instanceId;
    this.authorization = "Bearer " + secret;
    this.mapper = mapper;
  }

  /** Long-polls for the next command; empty when the control plane has none for now. */
  Optional<AgentCommand> nextCommand(int waitSeconds) throws IOException, InterruptedException {
    HttpRequest request =
        request(AgentPaths.nextCommand(instanceId, waitSeconds))
            .timeout(Duration.ofSeconds(waitSeconds).plus(POLL_SLACK))
            .GET()
            .build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    return switch (response.statusCode()) {
      case 200 -> Optional.of(mapper.readValue(response.body(), AgentCommand.class));
      case 204 -> Optional.empty();
      default -> throw new UnexpectedStatus(response.statusCode());
    };
  }

  /** Posts a command's result; returns the HTTP status (2xx also for an already recorded one). */
  int sendResult(String commandId, CommandResult result) throws IOException, InterruptedException {
    return post(AgentPaths.result(instanceId, commandId), mapper.writeValueAsBytes(result));
  }

  int sendHeartbeat(Heartbeat heartbeat) throws IOException, InterruptedException {
    return post(AgentPaths.heartbeat(instanceId), mapper.writeValueAsBytes(heartbeat));
  }

  private int post(String path, byte[] body) throws IOException, InterruptedException {
    HttpRequest request =
        request(path)
            .timeout(POST_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("Authorization", authorization);
  }

  /** The control plane answered, but not as the protocol says (for example 401 or 503). */
  static final class UnexpectedStatus extends IOException {
    private static final long serialVersionUID = 1L;

    UnexpectedStatus(int status) {
      super("control plane answered HTTP " + status);
    }
  }
}

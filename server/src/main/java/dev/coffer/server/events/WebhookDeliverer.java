package dev.coffer.server.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.server.backups.BackupVault;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works through the delivery outbox: POSTs each due delivery's event to its webhook, signed with
 * the webhook's secret, and retries failures after 5 s, 30 s, 2 min and 10 min (5 attempts in all)
 * before giving up. Deliveries are durable rows, so they survive a restart; a receiver may see an
 * event twice (if the server stops between sending and recording) and deduplicates by {@code
 * X-Coffer-Event-Id}.
 */
public final class WebhookDeliverer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookDeliverer.class);
  static final List<Duration> RETRY_DELAYS =
      List.of(
          Duration.ofSeconds(5),
          Duration.ofSeconds(30),
          Duration.ofMinutes(2),
          Duration.ofMinutes(10));
  static final int MAX_ATTEMPTS = RETRY_DELAYS.size() + 1;

  private final WebhookStore store;
  private final EventLog events;
  private final BackupVault vault;
  private final ObjectMapper json;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "webhook-deliverer"));

  public WebhookDeliverer(
      WebhookStore store, EventLog events, BackupVault vault, ObjectMapper json) {
    this.store = store;
    this.events = events;
    this.vault = vault;
    this.json = json;
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(this::deliverDue, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void deliverDue() {
    try {
      for (Delivery d : store.due(Instant.now(), 50)) {
        deliver(d);
      }
    } catch (RuntimeException e) {
      log.warn("event=webhook_delivery_round_failed reason=\"{}\"", e.getMessage(), e);
    }
  }

  private void deliver(Delivery d) {
    Optional<Webhook> hook = store.find(d.webhookId());
    Optional<StoredEvent> event = events.find(d.eventId());
    if (hook.isEmpty() || event.isEmpty()) {
      store.attempted(d.id(), "CANCELLED", d.attempts(), Instant.now(), null, "webhook deleted");
      return;
    }
    int attempt = d.attempts() + 1;
    Integer status = null;
    String error;
    try {
      byte[] body = json.writeValueAsBytes(payload(event.get()));
      String secret = vault.unwrap(hook.get().wrappedSecret());
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(hook.get().url()))
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .header("User-Agent", "Coffer-Webhooks/1")
              .header("X-Coffer-Event", event.get().event().type())
              .header("X-Coffer-Event-Id", event.get().id())
              .header("X-Coffer-Delivery", d.id())
              .header("X-Coffer-Signature", "sha256=" + sign(secret, body))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
      status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      error = status / 100 == 2 ? null : "the receiver answered HTTP " + status;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    if (error == null) {
      store.attempted(d.id(), "DELIVERED", attempt, Instant.now(), status, null);
      log.info(
          "event=webhook_delivered webhook={} delivery={} event_id={} attempt={}",
          d.webhookId(),
          d.id(),
          d.eventId(),
          attempt);
    } else if (attempt >= MAX_ATTEMPTS) {
      store.attempted(d.id(), "FAILED", attempt, Instant.now(), status, error);
      log.warn(
          "event=webhook_delivery_failed webhook={} delivery={} attempts={} reason=\"{}\"",
          d.webhookId(),
          d.id(),
          attempt,
          error);
    } else {
      Instant next = Instant.now().plus(RETRY_DELAYS.get(attempt - 1));
      store.attempted(d.id(), "PENDING", attempt, next, status, error);
      log.info(
          "event=webhook_delivery_retry webhook={} delivery={} attempt={} next_at={} reason=\"{}\"",
          d.webhookId(),
          d.id(),
          attempt,
          next,
          error);
    }
  }

  /** The JSON a webhook receives: the event as stored, with its id. */
  static Map<String, Object> payload(StoredEvent stored) {
    Event e = stored.event();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", stored.id());
    m.put("type", e.type());
    m.put("project_id", e.projectId());
    m.put("target_type", e.targetType());
    m.put("target_id", e.targetId());
    m.put("severity", e.severity());
    m.put("message", e.message());
    m.put("details", e.details());
    m.put("time", e.at().toString());
    return m;
  }

  /** Hex HMAC-SHA256 of the body under the secret (its UTF-8 bytes, as the client received it). */
  static String sign(String secret, byte[] body) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

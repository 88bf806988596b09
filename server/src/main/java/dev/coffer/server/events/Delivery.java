package dev.coffer.server.events;

import java.time.Instant;

/**
 * One event on its way to one webhook.
 *
 * @param state {@code PENDING} (to be tried at {@code nextAttemptAt}), {@code DELIVERED}, {@code
 *     FAILED} (every attempt failed) or {@code CANCELLED} (the webhook was deleted)
 * @param lastResponse the HTTP status of the last attempt; null if it got no answer
 */
public record Delivery(
    String id,
    String webhookId,
    String eventId,
    String eventType,
    String state,
    int attempts,
    Instant nextAttemptAt,
    Integer lastResponse,
    String lastError,
    Instant createdAt,
    Instant deliveredAt) {}

package dev.coffer.server.events;

/** An event as the event log keeps it: with its id (webhooks' idempotency key) and order. */
public record StoredEvent(String id, long seq, Event event) {}

package dev.coffer.server.events;

/**
 * Where every feature reports its events. The event log stores them durably and hands them to
 * the configured webhooks; publishing never fails the caller's own work.
 */
public interface EventSink {
  void publish(Event event);

  /** For parts built without an event log (some unit tests): events go nowhere. */
  EventSink NONE = event -> {};
}

package dev.coffer.agent.runtime;

import java.time.Duration;

/** Waits that double from {@link #FIRST} up to {@link #MAX}, for retrying the control plane. */
final class Backoff {
  static final Duration FIRST = Duration.ofMillis(100);

  /** Short, so the agent reconnects within seconds of the control plane coming back. */
  static final Duration MAX = Duration.ofSeconds(2);

  private Duration next = FIRST;

  void reset() {
    next = FIRST;
  }

  /** Sleeps the current delay and doubles it; false if interrupted (the agent is stopping). */
  boolean pause() {
    try {
      Thread.sleep(next.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(MAX) > 0 ? MAX : doubled;
    return true;
  }
}

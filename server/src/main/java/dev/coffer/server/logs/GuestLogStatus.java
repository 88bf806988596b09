package dev.coffer.server.logs;

import dev.coffer.api.agent.GuestLog;
import dev.coffer.api.agent.GuestLogType;

/**
 * Trove's status of a guest log, from the agent's view of the file and what was published of it.
 * Every log Coffer offers changes without a restart, so "Restart Required" never occurs.
 */
enum GuestLogStatus {
  /** A USER log that is off. */
  DISABLED("Disabled"),
  /** On, with nothing written yet (or everything written already published, never published). */
  ENABLED("Enabled"),
  /** A SYS log whose file is empty or absent. */
  UNAVAILABLE("Unavailable"),
  /** Written and never published. */
  READY("Ready"),
  /** Everything written is published. */
  PUBLISHED("Published"),
  /** Published in part: more was written since. */
  PARTIAL("Partial"),
  /** The file was replaced since the last publish: the next publish discards the old pieces. */
  ROTATED("Rotated");

  private final String wire;

  GuestLogStatus(String wire) {
    this.wire = wire;
  }

  String wire() {
    return wire;
  }

  static boolean rotated(GuestLog log, PublishedLog published) {
    return published.size() > 0
        && (log.size() < published.size() || !log.headDigest().equals(published.headDigest()));
  }

  static GuestLogStatus of(GuestLog log, PublishedLog published) {
    if (log.type() == GuestLogType.USER && !log.enabled()) {
      return DISABLED;
    }
    if (log.size() == 0) {
      return log.type() == GuestLogType.USER ? ENABLED : UNAVAILABLE;
    }
    if (rotated(log, published)) {
      return ROTATED;
    }
    if (log.size() > published.size()) {
      return published.size() > 0 ? PARTIAL : READY;
    }
    return published.size() > 0 ? PUBLISHED : ENABLED;
  }

  /** Bytes not yet published: all of a rotated file. */
  static long pending(GuestLog log, PublishedLog published) {
    return rotated(log, published) ? log.size() : Math.max(0, log.size() - published.size());
  }
}

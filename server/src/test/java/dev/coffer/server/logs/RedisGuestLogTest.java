package dev.coffer.server.logs;

import java.util.Map;

/** Redis: only its server log, which cannot be switched. */
class RedisGuestLogTest extends GuestLogScenario {
  @Override
  String datastore() {
    return "redis";
  }

  @Override
  Map.Entry<String, String> systemLog() {
    return Map.entry("server", "Ready to accept connections");
  }

  @Override
  boolean hasUserLogs() {
    return false;
  }
}

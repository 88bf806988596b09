package dev.coffer.agent.engine;

import java.util.List;

/**
 * Optional engine capability: Trove's guest logs. The engine names the logs it keeps and where
 * their files are, and turns its {@link dev.coffer.api.agent.GuestLogType#USER} logs on and off;
 * reading the files is the same for every engine and stays in the agent's runtime.
 */
public interface GuestLogEngine {

  /** Every log the engine keeps, in a stable order, with whether each is on now. */
  List<GuestLogFile> guestLogs();

  /**
   * Turns a USER log on or off: persisted so that every later start keeps it (a configuration
   * group's own value for the same setting still wins at a start), and applied to the running
   * engine at once. Idempotent. The caller has checked that the log exists and is a USER log.
   */
  void setGuestLog(String name, boolean enabled);
}

package dev.coffer.api.agent;

/** What the agent reports about its engine in each heartbeat. */
public enum EngineStatus {
  /** Initialising or starting for the first time. */
  BUILDING,
  /** Process up and answering a trivial query. */
  RUNNING,
  /** Process not running (stopped, crashed, or being restarted). */
  SHUTDOWN,
  /** Initialisation failed; the agent will not retry on its own. */
  FAILED
}

package dev.coffer.api.agent;

/** Trove's two kinds of guest log. */
public enum GuestLogType {
  /** Written by the engine whatever the user does (its error or server log); cannot be disabled. */
  SYS,
  /** Off until the user enables it (general and slow query logs). */
  USER
}

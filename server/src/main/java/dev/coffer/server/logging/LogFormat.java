package dev.coffer.server.logging;

import java.util.Locale;

/** How the server and its agents write log lines ({@code COFFER_LOG_FORMAT}). */
public enum LogFormat {
  /** {@code key=value} lines for people reading a terminal or journal (the default). */
  TEXT,
  /** One JSON object per line for log pipelines (see {@code JsonLineLayout}). */
  JSON;

  static LogFormat parse(String variable, String value) {
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          variable + " must be 'text' or 'json', not '" + value + "'", e);
    }
  }
}

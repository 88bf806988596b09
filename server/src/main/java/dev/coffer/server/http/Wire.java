package dev.coffer.server.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Small wire conventions shared by every Trove view: timestamps and list paging. */
public final class Wire {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private Wire() {}

  /** Trove's timestamp form, UTC without a zone suffix: {@code 2026-11-24T23:38:30}. */
  public static String time(Instant instant) {
    return instant == null ? null : TIME.format(instant);
  }

  /** The {@code limit} query parameter: 1–1000, default 1000; anything else is a 400. */
  public static int limit(String raw) {
    if (raw == null || raw.isBlank()) {
      return 1000;
    }
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= 1000) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // falls through to the fault
    }
    throw new ApiException.BadRequest(
        "Validation error: limit must be an integer between 1 and 1000.");
  }
}

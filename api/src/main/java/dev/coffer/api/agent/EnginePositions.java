package dev.coffer.api.agent;

import java.util.Map;

/** An engine's description of one backup: its stream format and positions (LSNs, WAL…). */
public record EnginePositions(String format, Map<String, String> position) {
  public EnginePositions {
    position = position == null ? Map.of() : Map.copyOf(position);
  }
}

package dev.coffer.api.agent;

import java.util.Set;

/**
 * Result of {@link CommandType#APPLY_CONFIGURATION}.
 *
 * @param restartRequired the names whose new value takes effect only once the engine restarts (the
 *     others are already in effect)
 */
public record ConfigurationResult(Set<String> restartRequired) {
  public ConfigurationResult {
    restartRequired = restartRequired == null ? Set.of() : Set.copyOf(restartRequired);
  }
}

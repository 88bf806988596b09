package dev.coffer.api.datastores;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How a name (database or user) must look for one engine.
 *
 * @param pattern full-match regular expression
 * @param explanation what the pattern allows, in words, for error messages
 */
public record NameRule(int maxLength, String pattern, String explanation) {

  /** Returns why {@code name} is invalid, or empty if it is valid. */
  public Optional<String> violation(String name) {
    if (name == null || name.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (name.length() > maxLength) {
      return Optional.of("must be at most " + maxLength + " characters long");
    }
    if (!Pattern.compile(pattern).matcher(name).matches()) {
      return Optional.of(explanation);
    }
    return Optional.empty();
  }
}

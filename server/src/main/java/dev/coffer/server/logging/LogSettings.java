package dev.coffer.server.logging;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's logging choices.
 *
 * @param format of the server's and every agent's lines ({@code COFFER_LOG_FORMAT}: {@code text} or
 *     {@code json})
 * @param file where the server also writes its lines besides standard error ({@code
 *     COFFER_LOG_FILE}; a relative path is under {@code COFFER_HOME})
 */
public record LogSettings(LogFormat format, Optional<Path> file) {
  public static final String FORMAT_VARIABLE = "COFFER_LOG_FORMAT";
  public static final String FILE_VARIABLE = "COFFER_LOG_FILE";

  public static LogSettings fromEnvironment(Map<String, String> env, Path home) {
    LogFormat format = LogFormat.parse(FORMAT_VARIABLE, env.getOrDefault(FORMAT_VARIABLE, "text"));
    Optional<Path> file =
        Optional.ofNullable(env.get(FILE_VARIABLE))
            .map(String::strip)
            .filter(f -> !f.isEmpty())
            .map(f -> home.resolve(f).toAbsolutePath());
    return new LogSettings(format, file);
  }
}

package dev.coffer.server.backups;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.http.Fields;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Trove's backup strategy: the container that later backups of one instance ({@code instanceId}
 * set) or of the whole project ({@code instanceId} empty) are written to. In Coffer a container is
 * a top-level key prefix in the configured backup store: a subdirectory of the file store, a prefix
 * inside the S3 bucket.
 */
public record BackupStrategy(String projectId, String instanceId, String container) {
  /** {@code instance_id} of a strategy that applies to the whole project, as Trove shows it. */
  public static final String PROJECT_WIDE = "";

  public static final int MAX_CONTAINER_LENGTH = 128;

  // One key segment of the backup store (see BackupStore.requireValidKey): no '/', no leading dot.
  private static final Pattern CONTAINER =
      Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0," + (MAX_CONTAINER_LENGTH - 1) + "}");

  public boolean projectWide() {
    return instanceId.isEmpty();
  }

  /** Like {@link #container} but absent, {@code null} and {@code ""} mean "none given". */
  static Optional<String> optionalContainer(Fields body, String field) {
    JsonNode given = body.node().get(field);
    if (given == null || given.isNull() || given.isTextual() && given.asText().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(container(body, field));
  }

  /** The container named by the body's {@code field}, or a 400 naming the field and the rule. */
  static String container(Fields body, String field) {
    String name = body.string(field, MAX_CONTAINER_LENGTH);
    if (!CONTAINER.matcher(name).matches()) {
      throw Fields.invalid(
          body.at(field),
          "must be 1-"
              + MAX_CONTAINER_LENGTH
              + " letters, digits, '.', '_' or '-', not starting with '.'");
    }
    return name;
  }
}

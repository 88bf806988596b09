package dev.coffer.server.configurations;

import java.time.Instant;
import java.util.Map;

/**
 * A Trove configuration group: parameter values for one datastore version.
 *
 * @param values parameter name to value (Long, Double, Boolean or String), validated against the
 *     engine's catalog
 */
public record ConfigurationGroup(
    String id,
    String projectId,
    String name,
    String description,
    String datastoreVersionId,
    Map<String, Object> values,
    Instant createdAt,
    Instant updatedAt) {
  public ConfigurationGroup {
    values = Map.copyOf(values);
  }
}

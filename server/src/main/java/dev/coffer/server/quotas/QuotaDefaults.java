package dev.coffer.server.quotas;

import java.util.EnumMap;
import java.util.Map;

/**
 * The limits of a project that has no limit of its own for a resource: operator settings {@code
 * COFFER_QUOTA_INSTANCES}, {@code COFFER_QUOTA_VOLUMES_GB}, {@code COFFER_QUOTA_BACKUPS} and {@code
 * COFFER_QUOTA_CLUSTERS}; Trove's defaults where not set.
 */
public record QuotaDefaults(int instances, int volumesGb, int backups, int clusters) {
  private static final Map<Resource, String> VARIABLES =
      Map.of(
          Resource.INSTANCES, "COFFER_QUOTA_INSTANCES",
          Resource.VOLUMES, "COFFER_QUOTA_VOLUMES_GB",
          Resource.BACKUPS, "COFFER_QUOTA_BACKUPS",
          Resource.CLUSTERS, "COFFER_QUOTA_CLUSTERS");

  /**
   * Trove's max_instances_per_tenant, max_volumes_per_tenant, max_backups_per_tenant; 10 clusters.
   */
  public static QuotaDefaults trove() {
    return new QuotaDefaults(10, 40, 50, 10);
  }

  public static QuotaDefaults fromEnvironment(Map<String, String> env) {
    QuotaDefaults trove = trove();
    Map<Resource, Integer> limits = new EnumMap<>(Resource.class);
    for (Resource r : Resource.values()) {
      String variable = VARIABLES.get(r);
      String value = env.getOrDefault(variable, Integer.toString(trove.limit(r))).strip();
      if (!value.matches("-1|\\d{1,9}")) {
        throw new IllegalArgumentException(
            variable + " must be a whole number, or -1 for no limit, not '" + value + "'");
      }
      limits.put(r, Integer.parseInt(value));
    }
    return new QuotaDefaults(
        limits.get(Resource.INSTANCES),
        limits.get(Resource.VOLUMES),
        limits.get(Resource.BACKUPS),
        limits.get(Resource.CLUSTERS));
  }

  public int limit(Resource resource) {
    return switch (resource) {
      case INSTANCES -> instances;
      case VOLUMES -> volumesGb;
      case BACKUPS -> backups;
      case CLUSTERS -> clusters;
    };
  }
}

package dev.coffer.server.quotas;

import dev.coffer.server.http.ApiException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-project quotas, like Trove's: each project has a limit per {@link Resource} (its own, set by
 * an admin, or the operator's default) and every create that uses one is checked against it
 * atomically with the insert of the new row.
 */
public final class ProjectQuotas {
  private static final Logger log = LoggerFactory.getLogger(ProjectQuotas.class);

  /** Trove's value for "no limit". */
  public static final int UNLIMITED = -1;

  private final QuotaRepository repository;
  private final QuotaDefaults defaults;

  public ProjectQuotas(QuotaRepository repository, QuotaDefaults defaults) {
    this.repository = repository;
    this.defaults = defaults;
  }

  /** Every resource's use and limit for the project, in {@link Resource} order. */
  public List<QuotaUsage> usage(String projectId) {
    Map<Resource, Integer> own = repository.limits(projectId);
    Map<Resource, Long> used = repository.usage(projectId);
    List<QuotaUsage> all = new ArrayList<>();
    for (Resource r : Resource.values()) {
      all.add(new QuotaUsage(r, used.get(r), own.getOrDefault(r, defaults.limit(r))));
    }
    return all;
  }

  /** An admin's change of some of the project's limits; 404 for an unknown project. */
  public void set(String projectId, Map<Resource, Integer> limits) {
    if (!repository.projectExists(projectId)) {
      throw new ApiException.NotFound("Project " + projectId + " cannot be found.");
    }
    limits.forEach((r, limit) -> repository.setLimit(projectId, r, limit));
    log.info("event=quota_updated project={} limits={}", projectId, limits);
  }

  /**
   * Runs {@code create} (which inserts the rows that use {@code demand}) only if the project's use
   * plus the demand stays within every limit, else 413 {@code overLimit} naming each resource with
   * its use and limit. The check and the insert happen under the project's row lock in one
   * transaction, so concurrent creates cannot both take the last unit.
   */
  public <T> T withinQuota(String projectId, Map<Resource, Integer> demand, Supplier<T> create) {
    return repository.withProjectLocked(
        projectId,
        () -> {
          requireWithin(projectId, demand);
          return create.get();
        });
  }

  /** The check alone (for a change that inserts no row, such as a volume resize). */
  public void requireWithin(String projectId, Map<Resource, Integer> demand) {
    Map<Resource, Integer> wanted = new EnumMap<>(Resource.class);
    demand.forEach((r, n) -> wanted.merge(r, n, Integer::sum));
    List<QuotaUsage> exceeded =
        usage(projectId).stream()
            .filter(u -> wanted.getOrDefault(u.resource(), 0) > 0)
            .filter(u -> !u.allows(wanted.get(u.resource())))
            .toList();
    if (exceeded.isEmpty()) {
      return;
    }
    log.info(
        "event=quota_exceeded project={} resources={}",
        projectId,
        exceeded.stream().map(u -> u.resource().wireName()).toList());
    throw new ApiException.OverLimit(
        "Quota exceeded for resources: "
            + exceeded.stream()
                .map(u -> "'" + u.resource().wireName() + "'")
                .collect(Collectors.joining(", ", "[", "]"))
            + ". "
            + exceeded.stream()
                .map(
                    u ->
                        u.resource().wireName()
                            + ": in use "
                            + u.inUse()
                            + ", requested "
                            + wanted.get(u.resource())
                            + ", limit "
                            + u.limit())
                .collect(Collectors.joining("; "))
            + ".");
  }
}

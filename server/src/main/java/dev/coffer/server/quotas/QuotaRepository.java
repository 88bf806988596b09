package dev.coffer.server.quotas;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/** Projects' own limits (table {@code project_quotas}) and what they use, counted from the rows. */
public final class QuotaRepository {
  private static final Map<Resource, String> USAGE =
      Map.of(
          Resource.INSTANCES,
          "select count(*) from instances where project_id = ? and deleted_at is null",
          Resource.VOLUMES,
          "select coalesce(sum(volume_size), 0) from instances where project_id = ?"
              + " and deleted_at is null",
          Resource.BACKUPS,
          "select count(*) from backups where project_id = ? and deleted_at is null",
          Resource.CLUSTERS,
          // A new cluster's members are inserted (under the lock) before its own row: count both.
          "select count(*) from (select id from clusters where project_id = ? and deleted_at is null"
              + " union select cluster_id from instances where project_id = ?"
              + " and deleted_at is null and cluster_id is not null) c");

  private final Jdbi jdbi;

  public QuotaRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /**
   * Runs {@code work} in one transaction holding the project's row lock: two control planes (or
   * threads) checking and using the same project's quota take turns, so their counts never race.
   * Repositories called by {@code work} on this thread join the transaction (Jdbi's thread-local
   * handle scope), so the rows they insert are committed with the lock released, not before.
   */
  public <T> T withProjectLocked(String projectId, Supplier<T> work) {
    return jdbi.inTransaction(
        h -> {
          h.createQuery("select id from projects where id = ? for update")
              .bind(0, projectId)
              .mapTo(String.class)
              .findFirst();
          return work.get();
        });
  }

  public boolean projectExists(String projectId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select count(*) from projects where id = ?")
                    .bind(0, projectId)
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }

  /** The project's own limits; resources without one follow the operator's defaults. */
  public Map<Resource, Integer> limits(String projectId) {
    Map<Resource, Integer> limits = new EnumMap<>(Resource.class);
    jdbi.useHandle(
        h ->
            h.createQuery("select resource, hard_limit from project_quotas where project_id = ?")
                .bind(0, projectId)
                .map((rs, ctx) -> Map.entry(rs.getString("resource"), rs.getInt("hard_limit")))
                .forEach(
                    row ->
                        Resource.byWireName(row.getKey())
                            .ifPresent(r -> limits.put(r, row.getValue()))));
    return limits;
  }

  public void setLimit(String projectId, Resource resource, int limit) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate("delete from project_quotas where project_id = ? and resource = ?")
              .bind(0, projectId)
              .bind(1, resource.wireName())
              .execute();
          h.createUpdate(
                  "insert into project_quotas (project_id, resource, hard_limit) values (?, ?, ?)")
              .bind(0, projectId)
              .bind(1, resource.wireName())
              .bind(2, limit)
              .execute();
        });
  }

  public Map<Resource, Long> usage(String projectId) {
    Map<Resource, Long> usage = new EnumMap<>(Resource.class);
    jdbi.useHandle(
        h -> {
          for (Resource r : Resource.values()) {
            var query = h.createQuery(USAGE.get(r));
            long parameters = USAGE.get(r).chars().filter(c -> c == '?').count();
            for (int i = 0; i < parameters; i++) {
              query.bind(i, projectId);
            }
            usage.put(r, query.mapTo(Long.class).one());
          }
        });
    return usage;
  }
}

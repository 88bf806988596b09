package dev.coffer.server.quotas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.server.http.ApiException;
import dev.coffer.server.store.StateStore;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quota check and the insert are atomic in the store itself (the project's row lock), not only
 * behind one JVM's monitors: threads that share nothing but the store never overshoot a limit.
 */
class QuotaLockTest {
  @TempDir Path dir;

  @Test
  void concurrentReservationsThroughTheStoreNeverExceedTheLimit() throws Exception {
    try (StateStore store = StateStore.embedded(dir)) {
      Jdbi jdbi = store.jdbi();
      Timestamp now = Timestamp.from(Instant.now());
      jdbi.useHandle(
          h -> {
            h.execute("insert into projects (id, name, created_at) values ('p', 'p', ?)", now);
            h.execute("insert into datastores (id, name) values ('d', 'redis')");
            h.execute(
                "insert into datastore_versions (id, datastore_id, name, binaries, state,"
                    + " installed) values ('v', 'd', '7', '{}', 'ACTIVE', true)");
          });
      ProjectQuotas quotas =
          new ProjectQuotas(new QuotaRepository(jdbi), new QuotaDefaults(3, 40, 50, 10));

      int attempts = 12;
      ExecutorService pool = Executors.newFixedThreadPool(attempts);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> outcomes = new ArrayList<>();
      for (int i = 0; i < attempts; i++) {
        outcomes.add(
            pool.submit(
                () -> {
                  go.await();
                  try {
                    quotas.withinQuota(
                        "p",
                        Map.of(Resource.INSTANCES, 1),
                        () -> {
                          // Joins the reservation's transaction (same thread, same Jdbi).
                          jdbi.useHandle(
                              h ->
                                  h.execute(
                                      "insert into instances (id, project_id, name,"
                                          + " datastore_version_id, flavor_id, volume_size,"
                                          + " is_public, allowed_cidrs, task_status,"
                                          + " service_status, service_status_updated, created_at,"
                                          + " updated_at) values (?, 'p', ?, 'v', '1', 1, false,"
                                          + " '', 'NONE', 'NEW', ?, ?, ?)",
                                      UUID.randomUUID().toString(),
                                      UUID.randomUUID().toString(),
                                      now,
                                      now,
                                      now));
                          return null;
                        });
                    return true;
                  } catch (ApiException.OverLimit refused) {
                    return false;
                  }
                }));
      }
      go.countDown();
      int accepted = 0;
      for (Future<Boolean> outcome : outcomes) {
        accepted += outcome.get() ? 1 : 0;
      }
      pool.shutdown();
      assertThat(accepted).isEqualTo(3);
      assertThat(quotas.usage("p").get(0).inUse()).isEqualTo(3);
    }
  }
}

package dev.coffer.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.EngineStatus;
import dev.coffer.api.agent.Heartbeat;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.JdbiInstanceRepository;
import dev.coffer.server.instances.ServiceStatus;
import dev.coffer.server.instances.TaskStatus;
import dev.coffer.server.store.StateStore;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scrape of 500 instances costs the same few statements as a scrape of one (never a query per
 * instance) and stays well under a second, with every instance's families in it.
 */
class ScrapeAtScaleTest {
  static final int INSTANCES = 500;

  @TempDir Path dir;

  @Test
  void aScrapeOf500InstancesRunsAFixedNumberOfQueries() {
    StateStore store = StateStore.embedded(dir);
    try {
      Instant now = Instant.now();
      store
          .jdbi()
          .useHandle(
              h -> {
                h.execute(
                    "insert into projects (id, name, created_at) values (?, ?, ?)",
                    "p1",
                    "p1",
                    Timestamp.from(now));
                h.execute("insert into datastores (id, name) values (?, ?)", "d1", "redis");
                h.execute(
                    "insert into datastore_versions"
                        + " (id, datastore_id, name, full_version, binaries, state, installed)"
                        + " values (?, ?, ?, ?, ?, ?, ?)",
                    "v1",
                    "d1",
                    "7.0",
                    "7.0.15",
                    "{}",
                    "ACTIVE",
                    true);
              });
      JdbiInstanceRepository instances = new JdbiInstanceRepository(store.jdbi(), "127.250");
      instances.insert(
          new Instance(
              "i-0",
              "p1",
              "i-0",
              "v1",
              "1",
              1,
              0L,
              null,
              6379,
              false,
              List.of(),
              TaskStatus.NONE,
              ServiceStatus.RUNNING,
              now,
              now,
              null,
              null,
              null,
              now,
              now,
              null));
      // The other 499 are copies of the first row (inserting each through the repository, which
      // allocates an address, would take most of this test's time).
      store
          .jdbi()
          .useHandle(
              h -> {
                List<String> columns =
                    h.createQuery("select * from instances")
                        .scanResultSet(
                            (rs, ctx) -> {
                              var meta = rs.get().getMetaData();
                              List<String> names = new java.util.ArrayList<>();
                              for (int c = 1; c <= meta.getColumnCount(); c++) {
                                names.add(meta.getColumnName(c).toLowerCase(java.util.Locale.ROOT));
                              }
                              return names;
                            });
                String select =
                    String.join(
                        ", ",
                        columns.stream()
                            .map(
                                c ->
                                    switch (c) {
                                      case "id", "name" -> ":id";
                                      case "address" -> "null";
                                      default -> c;
                                    })
                            .toList());
                var batch =
                    h.prepareBatch(
                        "insert into instances ("
                            + String.join(", ", columns)
                            + ") select "
                            + select
                            + " from instances where id = 'i-0'");
                for (int n = 1; n < INSTANCES; n++) {
                  batch.bind("id", "i-" + n).add();
                }
                batch.execute();
              });
      InstanceLoads loads = new InstanceLoads();
      for (int n = 0; n < INSTANCES; n++) {
        loads.record(
            "i-" + n,
            new Heartbeat(EngineStatus.RUNNING, 1000L * n, null)
                .withMetrics(new EngineMetrics(3, 100L * n)));
      }
      ControlPlaneMetrics metrics =
          new ControlPlaneMetrics(new FleetQueries(store.jdbi(), instances, Set::of), loads);
      metrics.scrape();

      AtomicInteger statements = new AtomicInteger();
      store
          .jdbi()
          .setSqlLogger(
              new SqlLogger() {
                @Override
                public void logAfterExecution(StatementContext context) {
                  statements.incrementAndGet();
                }
              });
      long started = System.nanoTime();
      String text = metrics.scrape();
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(statements.get()).as("statements per scrape").isLessThanOrEqualTo(4);
      assertThat(took).isLessThan(Duration.ofSeconds(2));
      assertThat(text.lines().filter(l -> l.startsWith("coffer_instance_active{")))
          .hasSize(INSTANCES);
      assertThat(text.lines().filter(l -> l.startsWith("coffer_instance_operations_total{")))
          .hasSize(INSTANCES);
      assertThat(text)
          .containsPattern("coffer_instances\\{datastore=\"redis\",status=\"[A-Z]+\"\\} 500.0");
    } finally {
      store.close();
    }
  }
}

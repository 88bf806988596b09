package dev.coffer.agent.engines.postgresql;

import static dev.coffer.api.datastores.ParameterSpec.BOOLEAN;
import static dev.coffer.api.datastores.ParameterSpec.FLOAT;
import static dev.coffer.api.datastores.ParameterSpec.INTEGER;
import static dev.coffer.api.datastores.ParameterSpec.STRING;

import dev.coffer.api.datastores.ParameterSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration group catalog of PostgreSQL 15: the commonly tuned parameters, with the ranges
 * of the server's own {@code pg_settings} (narrowed where a value the server accepts would keep it
 * from starting again) and {@code restartRequired} exactly for its {@code postmaster} parameters.
 *
 * <p>Units are PostgreSQL's own spellings ({@code kB}, {@code MB}, {@code ms}, {@code s}), so a
 * value is written to the configuration file as the number followed by its unit, whatever the
 * parameter's internal unit is (shared_buffers counts 8 kB blocks, but is given in kB here).
 *
 * <p>Left out: what Coffer manages (addresses, ports, sockets, directories, WAL level and
 * archiving, replication and hot standby, SSL and authentication files), and what would lock the
 * agent out or stop the server from starting ({@code default_transaction_read_only}, {@code
 * huge_pages = on}).
 */
final class PostgresParameters {
  private static final double INT_MAX = 2147483647;

  private static final List<ParameterSpec> CATALOG =
      List.of(
          // ---- memory ----
          memory(
              "shared_buffers",
              128,
              1073741823 * 8.0,
              true,
              "25% of the flavor's RAM, at least 32 MB",
              "Memory for the shared buffer cache."),
          memory(
              "effective_cache_size",
              8,
              INT_MAX * 8,
              false,
              "75% of the flavor's RAM, at least 64 MB",
              "The planner's estimate of the memory available for caching data (kernel included)."),
          memory(
              "work_mem",
              64,
              INT_MAX,
              false,
              "1/64 of the flavor's RAM, at least 1 MB",
              "Memory per sort or hash operation before it spills to temporary files."),
          memory(
              "maintenance_work_mem",
              1024,
              INT_MAX,
              false,
              "1/16 of the flavor's RAM, between 16 MB and 2 GB",
              "Memory for maintenance operations such as VACUUM and CREATE INDEX."),
          memory(
              "autovacuum_work_mem",
              -1,
              INT_MAX,
              false,
              "",
              "Memory per autovacuum worker; -1 uses maintenance_work_mem."),
          memory(
              "temp_buffers",
              800,
              1073741823 * 8.0,
              false,
              "",
              "Memory per session for temporary tables."),
          memory(
              "wal_buffers",
              -1,
              262143 * 8.0,
              true,
              "",
              "Shared memory for WAL not yet written to disk; -1 sizes it from shared_buffers."),
          memory(
              "temp_file_limit",
              -1,
              INT_MAX,
              false,
              "",
              "Most temporary file space a session may use; -1 means no limit."),
          // Two 16 MB WAL segments at least: the server refuses to start with less.
          spec(
              "max_wal_size",
              INTEGER,
              32,
              INT_MAX,
              false,
              "MB",
              "WAL size that triggers a checkpoint."),
          spec(
              "min_wal_size",
              INTEGER,
              32,
              INT_MAX,
              false,
              "MB",
              "WAL size kept for reuse instead of removed at checkpoints."),
          // ---- connections and workers ----
          // The agent and replication need a few connections of their own.
          spec(
              "max_connections",
              INTEGER,
              10,
              10000,
              true,
              "",
              "Most concurrent client connections; replicas need at least their source's value."),
          spec(
              "autovacuum_max_workers",
              INTEGER,
              1,
              100,
              true,
              "",
              "Most autovacuum worker processes running at once."),
          spec(
              "max_worker_processes",
              INTEGER,
              0,
              1024,
              true,
              "",
              "Most background worker processes; replicas need at least their source's value."),
          spec(
              "max_parallel_workers",
              INTEGER,
              0,
              1024,
              false,
              "",
              "Most workers for parallel operations at once."),
          spec(
              "max_parallel_workers_per_gather",
              INTEGER,
              0,
              1024,
              false,
              "",
              "Most parallel workers a single query node may use."),
          // ---- planner ----
          spec(
              "random_page_cost",
              FLOAT,
              0,
              1000000,
              false,
              "",
              "The planner's cost of a non-sequential page read."),
          spec(
              "seq_page_cost",
              FLOAT,
              0,
              1000000,
              false,
              "",
              "The planner's cost of a sequential page read."),
          spec(
              "effective_io_concurrency",
              INTEGER,
              0,
              1000,
              false,
              "",
              "Concurrent disk I/O requests the storage can serve well."),
          spec(
              "default_statistics_target",
              INTEGER,
              1,
              10000,
              false,
              "",
              "Statistics detail collected by ANALYZE for columns without their own target."),
          spec(
              "jit", BOOLEAN, null, null, false, "", "Whether queries may be JIT-compiled (LLVM)."),
          // ---- checkpoints and WAL ----
          spec(
              "checkpoint_timeout",
              INTEGER,
              30,
              86400,
              false,
              "s",
              "Longest time between automatic checkpoints."),
          spec(
              "checkpoint_completion_target",
              FLOAT,
              0,
              1,
              false,
              "",
              "Fraction of the checkpoint interval over which checkpoint writes are spread."),
          enumeration(
              "wal_compression",
              List.of("off", "on", "pglz", "lz4", "zstd"),
              false,
              "Compression of full-page images written to the WAL."),
          // ---- timeouts ----
          spec(
              "statement_timeout",
              INTEGER,
              0,
              INT_MAX,
              false,
              "ms",
              "Longest a statement may run; 0 means no limit."),
          spec(
              "lock_timeout",
              INTEGER,
              0,
              INT_MAX,
              false,
              "ms",
              "Longest a statement may wait for a lock; 0 means no limit."),
          spec(
              "idle_in_transaction_session_timeout",
              INTEGER,
              0,
              INT_MAX,
              false,
              "ms",
              "Sessions idle inside a transaction longer than this are ended; 0 means never."),
          spec(
              "deadlock_timeout",
              INTEGER,
              1,
              INT_MAX,
              false,
              "ms",
              "Time waiting on a lock before checking for a deadlock."),
          // ---- logging ----
          spec(
              "log_min_duration_statement",
              INTEGER,
              -1,
              INT_MAX,
              false,
              "ms",
              "Statements running at least this long are logged; -1 means none."),
          enumeration(
              "log_statement",
              List.of("none", "ddl", "mod", "all"),
              false,
              "Which statements are logged."),
          spec(
              "log_lock_waits",
              BOOLEAN,
              null,
              null,
              false,
              "",
              "Whether waits longer than deadlock_timeout for a lock are logged."),
          memory(
              "log_temp_files",
              -1,
              INT_MAX,
              false,
              "",
              "Temporary files at least this large are logged; -1 means none, 0 all."),
          spec(
              "log_autovacuum_min_duration",
              INTEGER,
              -1,
              INT_MAX,
              false,
              "ms",
              "Autovacuum runs at least this long are logged; -1 means none."),
          // ---- autovacuum ----
          spec(
              "autovacuum",
              BOOLEAN,
              null,
              null,
              false,
              "",
              "Whether the autovacuum launcher runs."),
          spec(
              "autovacuum_naptime",
              INTEGER,
              1,
              2147483,
              false,
              "s",
              "Pause between autovacuum runs on each database."),
          spec(
              "autovacuum_vacuum_scale_factor",
              FLOAT,
              0,
              100,
              false,
              "",
              "Fraction of a table's rows updated or deleted that triggers a vacuum."),
          spec(
              "autovacuum_analyze_scale_factor",
              FLOAT,
              0,
              100,
              false,
              "",
              "Fraction of a table's rows changed that triggers an analyze."),
          // ---- sessions ----
          spec(
              "timezone",
              STRING,
              null,
              null,
              false,
              "",
              "Time zone for displaying and interpreting time stamps, such as UTC or Europe/Paris."),
          enumeration(
              "default_transaction_isolation",
              List.of("serializable", "repeatable read", "read committed", "read uncommitted"),
              false,
              "Isolation level of each new transaction."),
          spec(
              "track_io_timing",
              BOOLEAN,
              null,
              null,
              false,
              "",
              "Whether database I/O calls are timed (EXPLAIN BUFFERS, pg_stat_database)."),
          // 'on' would keep the server from starting on a host without huge pages.
          enumeration(
              "huge_pages",
              List.of("off", "try"),
              true,
              "Whether shared memory uses huge pages when the host has them."));

  private static final Map<String, ParameterSpec> BY_NAME = byName();

  private PostgresParameters() {}

  /** The catalog of a PostgreSQL version; the same for every installed (15) version. */
  static List<ParameterSpec> catalog() {
    return CATALOG;
  }

  static Optional<ParameterSpec> find(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  private static Map<String, ParameterSpec> byName() {
    Map<String, ParameterSpec> map = new LinkedHashMap<>();
    for (ParameterSpec spec : CATALOG) {
      map.put(spec.name(), spec);
    }
    return Map.copyOf(map);
  }

  private static ParameterSpec memory(
      String name,
      double min,
      double max,
      boolean restart,
      String flavorDefault,
      String description) {
    return new ParameterSpec(
        name, INTEGER, min, max, List.of(), restart, "kB", flavorDefault, description);
  }

  private static ParameterSpec enumeration(
      String name, List<String> values, boolean restart, String description) {
    return new ParameterSpec(name, STRING, null, null, values, restart, "", "", description);
  }

  private static ParameterSpec spec(
      String name,
      String type,
      Number min,
      Number max,
      boolean restart,
      String unit,
      String description) {
    return new ParameterSpec(
        name,
        type,
        min == null ? null : min.doubleValue(),
        max == null ? null : max.doubleValue(),
        List.of(),
        restart,
        unit,
        "",
        description);
  }
}

package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.datastores.ParameterSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The configuration group catalog of MariaDB 10.11: the commonly tuned server variables, with the
 * ranges and runtime behaviour of that series (checked against a running server by {@code
 * MariaDbConfigurationTest}). Left out on purpose: everything Coffer manages (addresses, ports,
 * sockets, directories, the binary log and its retention, {@code server_id}, {@code read_only},
 * {@code gtid_*}, semi-synchronous replication, {@code skip_name_resolve}, {@code
 * secure_file_priv}) and {@code lower_case_table_names}, which cannot change after the data
 * directory is created.
 */
final class MariaDbParameters {
  private MariaDbParameters() {}

  static final String BYTES = "bytes";
  static final String SECONDS = "s";

  /** How a parameter absent from the group gets its value back on a running server. */
  enum Reset {
    /** {@code SET GLOBAL x = DEFAULT} gives what a fresh start would. */
    ENGINE,
    /** Coffer renders (or the server derives at start) a value of its own: set that value. */
    COFFER,
    /** The server sizes it at start from the machine (open files): only a restart restores it. */
    AT_START
  }

  /**
   * One catalog entry and how the agent writes it.
   *
   * @param option the name in an option file, where it differs from the variable's
   */
  record Parameter(ParameterSpec spec, String option, Reset reset) {
    String name() {
      return spec.name();
    }

    boolean restartRequired() {
      return spec.restartRequired();
    }

    String type() {
      return spec.type();
    }
  }

  // a charset's collation when the group names the charset only (SHOW CHARACTER SET's default)
  static final Map<String, String> DEFAULT_COLLATIONS =
      Map.of(
          "utf8mb4", "utf8mb4_general_ci",
          "utf8mb3", "utf8mb3_general_ci",
          "latin1", "latin1_swedish_ci",
          "ascii", "ascii_general_ci");

  private static final Map<String, Parameter> CATALOG = build();

  /** The catalog the factory lists, in a stable order. */
  static List<ParameterSpec> specs() {
    return CATALOG.values().stream().map(Parameter::spec).toList();
  }

  static List<Parameter> all() {
    return List.copyOf(CATALOG.values());
  }

  static Optional<Parameter> find(String name) {
    return Optional.ofNullable(CATALOG.get(name));
  }

  private static Map<String, Parameter> build() {
    Map<String, Parameter> c = new LinkedHashMap<>();
    // ---- InnoDB ----
    put(
        c,
        integer(
            "innodb_buffer_pool_size",
            2097152,
            1099511627776.0,
            false,
            BYTES,
            "50% of the flavor's RAM, at least 32 MB",
            "Memory caching InnoDB data and indexes; resized online in chunks."),
        Reset.COFFER);
    put(
        c,
        integer(
            "innodb_log_file_size",
            4194304,
            549755813888.0,
            false,
            BYTES,
            "a quarter of the buffer pool, at least 16 MB",
            "Size of the InnoDB redo log; larger means fewer checkpoints, longer crash recovery."),
        Reset.COFFER);
    put(
        c,
        integer(
            "innodb_log_buffer_size",
            2097152,
            2147479552,
            true,
            BYTES,
            "",
            "Memory buffering redo log records before they are written."));
    put(
        c,
        integer(
            "innodb_flush_log_at_trx_commit",
            0,
            3,
            false,
            "",
            "",
            "1 and 3 flush the redo log at each commit (durable); 0 and 2 about once a second."));
    put(
        c,
        string(
            "innodb_flush_method",
            List.of("fsync", "O_DSYNC", "O_DIRECT", "O_DIRECT_NO_FSYNC"),
            true,
            "How InnoDB opens and flushes its data and log files."));
    // the maximum first: the server raises or lowers it to fit a new capacity, so the group's
    // maximum must be in place before its capacity is set
    put(
        c,
        integer(
            "innodb_io_capacity_max",
            100,
            4294967295.0,
            false,
            "IOPS",
            "",
            "Upper limit of background flushing when behind; by default twice"
                + " innodb_io_capacity, at least 2000."),
        Reset.COFFER);
    put(
        c,
        integer(
            "innodb_io_capacity",
            100,
            4294967295.0,
            false,
            "IOPS",
            "",
            "I/O operations per second InnoDB may use for background flushing."));
    put(
        c,
        integer(
            "innodb_read_io_threads",
            1,
            64,
            false,
            "",
            "",
            "Threads serving InnoDB read requests."));
    put(
        c,
        integer(
            "innodb_write_io_threads",
            2,
            64,
            false,
            "",
            "",
            "Threads serving InnoDB write requests."));
    put(
        c,
        integer(
            "innodb_lock_wait_timeout",
            0,
            100000000,
            false,
            SECONDS,
            "",
            "How long a transaction waits for a row lock before giving up."));
    put(
        c,
        bool(
            "innodb_file_per_table",
            false,
            "New InnoDB tables get a tablespace file of their own."));
    put(
        c,
        integer(
            "innodb_autoinc_lock_mode",
            0,
            2,
            true,
            "",
            "",
            "Locking for auto-increment values: 0 traditional, 1 consecutive, 2 interleaved."));
    put(
        c,
        bool(
            "innodb_strict_mode",
            false,
            "Errors instead of warnings for invalid InnoDB table options."));
    put(
        c,
        bool("innodb_print_all_deadlocks", false, "Write every InnoDB deadlock to the error log."));
    // ---- connections ----
    put(
        c,
        integer(
            "max_connections",
            10,
            100000,
            false,
            "connections",
            "one per 4 MB of the flavor's RAM, between 50 and 1000",
            "Simultaneous client connections the server accepts."),
        Reset.COFFER);
    put(
        c,
        integer(
            "max_connect_errors",
            1,
            4294967295.0,
            false,
            "",
            "",
            "Failed connection attempts after which a host is blocked."));
    put(
        c,
        integer(
            "max_allowed_packet",
            1024,
            1073741824,
            false,
            BYTES,
            "",
            "Largest packet or generated string; bounds the largest row or BLOB sent."));
    put(
        c,
        integer(
            "wait_timeout",
            1,
            31536000,
            false,
            SECONDS,
            "",
            "Idle time after which the server closes a non-interactive connection."));
    put(
        c,
        integer(
            "interactive_timeout",
            1,
            31536000,
            false,
            SECONDS,
            "",
            "Idle time after which the server closes an interactive connection."));
    put(
        c,
        integer(
            "connect_timeout",
            2,
            31536000,
            false,
            SECONDS,
            "",
            "Time a client has to complete the connection handshake."));
    put(
        c,
        integer(
            "net_read_timeout",
            1,
            31536000,
            false,
            SECONDS,
            "",
            "Time the server waits for more data from a connection before aborting a read."));
    put(
        c,
        integer(
            "net_write_timeout",
            1,
            31536000,
            false,
            SECONDS,
            "",
            "Time the server waits for a block to be written to a connection."));
    put(
        c,
        integer(
            "thread_cache_size",
            0,
            16384,
            false,
            "threads",
            "",
            "Threads kept for reuse by new connections; by default sized at start from"
                + " max_connections."),
        Reset.AT_START);
    // ---- per-connection and caches ----
    put(
        c,
        integer(
            "tmp_table_size",
            16384,
            68719476736.0,
            false,
            BYTES,
            "",
            "Largest in-memory internal temporary table (also bounded by"
                + " max_heap_table_size)."));
    put(
        c,
        integer(
            "max_heap_table_size",
            16384,
            68719476736.0,
            false,
            BYTES,
            "",
            "Largest MEMORY table a user may create."));
    put(
        c,
        integer(
            "sort_buffer_size",
            32768,
            4294967295.0,
            false,
            BYTES,
            "",
            "Memory each sort may use before it spills to disk."));
    put(
        c,
        integer(
            "join_buffer_size",
            128,
            4294967295.0,
            false,
            BYTES,
            "",
            "Memory for each join that cannot use an index."));
    put(
        c,
        integer(
            "read_buffer_size",
            8192,
            2147479552,
            false,
            BYTES,
            "",
            "Buffer for each sequential scan of a MyISAM or Aria table."));
    put(
        c,
        integer(
            "read_rnd_buffer_size",
            8192,
            2147483647,
            false,
            BYTES,
            "",
            "Buffer for reading rows in sorted order after a sort."));
    put(
        c,
        integer(
            "key_buffer_size",
            0,
            68719476736.0,
            false,
            BYTES,
            "",
            "Cache for MyISAM index blocks."));
    put(
        c,
        integer(
            "binlog_cache_size",
            4096,
            4294967295.0,
            false,
            BYTES,
            "",
            "Memory per connection holding a transaction's binary log events until commit."));
    put(
        c,
        string(
            "query_cache_type",
            List.of("OFF", "ON", "DEMAND"),
            false,
            "Whether query results are cached: never, always, or for SQL_CACHE queries."));
    put(
        c,
        integer(
            "query_cache_size",
            0,
            4294967295.0,
            false,
            BYTES,
            "",
            "Memory for the query cache; values under about 40 KB disable it."));
    put(
        c,
        integer(
            "table_open_cache",
            10,
            1048576,
            false,
            "tables",
            "",
            "Open tables kept for reuse; by default sized at start from open_files_limit."),
        Reset.AT_START);
    put(
        c,
        integer(
            "table_definition_cache",
            400,
            2097152,
            false,
            "tables",
            "",
            "Table definitions kept in memory."));
    put(
        c,
        integer(
            "open_files_limit",
            0,
            4294967295.0,
            true,
            "files",
            "",
            "Files the server may open (0: derived from max_connections and"
                + " table_open_cache)."));
    // ---- SQL behaviour ----
    put(
        c,
        string(
            "sql_mode",
            List.of(),
            false,
            "Comma-separated SQL modes, such as STRICT_TRANS_TABLES,NO_ZERO_DATE; empty for"
                + " none."));
    put(
        c,
        string(
            "tx_isolation",
            List.of("READ-UNCOMMITTED", "READ-COMMITTED", "REPEATABLE-READ", "SERIALIZABLE"),
            false,
            "Default transaction isolation level."),
        "transaction-isolation",
        Reset.ENGINE);
    put(
        c,
        string(
            "character_set_server",
            List.copyOf(new TreeSet<>(DEFAULT_COLLATIONS.keySet())),
            false,
            "Default character set of new databases (Coffer's default: utf8mb4)."),
        Reset.COFFER);
    put(
        c,
        string(
            "collation_server",
            List.of(
                "utf8mb4_general_ci",
                "utf8mb4_unicode_ci",
                "utf8mb4_unicode_520_ci",
                "utf8mb4_bin",
                "utf8mb3_general_ci",
                "utf8mb3_unicode_ci",
                "utf8mb3_bin",
                "latin1_swedish_ci",
                "latin1_general_ci",
                "latin1_bin",
                "ascii_general_ci",
                "ascii_bin"),
            false,
            "Default collation of new databases; must belong to character_set_server (Coffer's"
                + " default: utf8mb4_general_ci)."),
        Reset.COFFER);
    put(
        c,
        string(
            "default_storage_engine",
            List.of("InnoDB", "Aria", "MyISAM"),
            false,
            "Engine of tables created without ENGINE=."));
    put(
        c,
        string(
            "event_scheduler",
            List.of("ON", "OFF"),
            false,
            "Whether scheduled events (CREATE EVENT) run."));
    put(
        c,
        integer(
            "group_concat_max_len",
            4,
            1073741824,
            false,
            BYTES,
            "",
            "Longest result of GROUP_CONCAT()."));
    // ---- diagnostics ----
    put(
        c,
        bool("slow_query_log", false, "Log statements slower than long_query_time to slow.log."));
    put(
        c,
        floating(
            "long_query_time",
            0,
            31536000,
            SECONDS,
            "Statements running longer than this are slow (see slow_query_log)."));
    put(
        c,
        bool(
            "log_queries_not_using_indexes",
            false,
            "Also log statements that use no index to the slow query log."));
    put(
        c,
        floating(
            "max_statement_time",
            0,
            31536000,
            SECONDS,
            "Read-only statements running longer than this are aborted; 0 for no limit."));
    put(
        c,
        bool(
            "performance_schema",
            true,
            "Instrument the server in performance_schema (costs memory; Coffer's default: OFF)."),
        Reset.COFFER);
    return c;
  }

  private static void put(Map<String, Parameter> c, ParameterSpec spec) {
    put(c, spec, Reset.ENGINE);
  }

  private static void put(Map<String, Parameter> c, ParameterSpec spec, Reset reset) {
    put(c, spec, spec.name(), reset);
  }

  private static void put(
      Map<String, Parameter> c, ParameterSpec spec, String option, Reset reset) {
    if (c.put(spec.name(), new Parameter(spec, option, reset)) != null) {
      throw new IllegalStateException("duplicate parameter " + spec.name());
    }
  }

  private static ParameterSpec integer(
      String name,
      double min,
      double max,
      boolean restart,
      String unit,
      String flavorDefault,
      String description) {
    return new ParameterSpec(
        name,
        ParameterSpec.INTEGER,
        min,
        max,
        List.of(),
        restart,
        unit,
        flavorDefault,
        description);
  }

  private static ParameterSpec floating(
      String name, double min, double max, String unit, String description) {
    return new ParameterSpec(
        name, ParameterSpec.FLOAT, min, max, List.of(), false, unit, "", description);
  }

  private static ParameterSpec bool(String name, boolean restart, String description) {
    return new ParameterSpec(
        name, ParameterSpec.BOOLEAN, null, null, List.of(), restart, "", "", description);
  }

  private static ParameterSpec string(
      String name, List<String> allowed, boolean restart, String description) {
    return new ParameterSpec(
        name, ParameterSpec.STRING, null, null, allowed, restart, "", "", description);
  }
}

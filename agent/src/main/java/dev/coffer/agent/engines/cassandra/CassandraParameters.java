package dev.coffer.agent.engines.cassandra;

import dev.coffer.api.datastores.ParameterSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration group catalog of Cassandra 5.0: commonly tuned {@code cassandra.yaml} settings.
 * Values are plain numbers in the catalog's unit; {@link Parameter#yamlValue} adds the unit suffix
 * Cassandra 5.0 wants ({@code 64MiB/s}, {@code 5000ms}). Every one is written to {@code
 * cassandra.yaml}, which Cassandra reads only at start; the two that {@code nodetool} can change on
 * a running node are applied live as well.
 */
final class CassandraParameters {
  private CassandraParameters() {}

  /**
   * One catalog entry.
   *
   * @param suffix what follows the number in {@code cassandra.yaml} (a data size, rate or duration
   *     unit), or empty for plain numbers, booleans and strings
   * @param nodetoolSetter the nodetool command that applies a value live, or empty
   */
  record Parameter(ParameterSpec spec, String suffix, Optional<String> nodetoolSetter) {
    String yamlValue(String value) {
      return switch (spec.type()) {
        case ParameterSpec.STRING -> "'" + value.replace("'", "''") + "'";
        case ParameterSpec.BOOLEAN -> Boolean.toString(Boolean.parseBoolean(value.strip()));
        default -> value.strip() + suffix;
      };
    }

    /** A value as Cassandra reports it ({@code 64MiB/s}) in the catalog's unit ({@code 64}). */
    String catalogValue(String reported) {
      if (reported == null) {
        return null;
      }
      String v = reported.strip();
      if (!suffix.isEmpty() && v.endsWith(suffix)) {
        return v.substring(0, v.length() - suffix.length());
      }
      return v;
    }
  }

  private static final Map<String, Parameter> CATALOG = build();

  static List<ParameterSpec> specs() {
    return CATALOG.values().stream().map(Parameter::spec).toList();
  }

  static Optional<Parameter> find(String name) {
    return Optional.ofNullable(CATALOG.get(name));
  }

  static Map<String, Parameter> all() {
    return CATALOG;
  }

  /** What a live parameter goes back to when the group no longer sets it (Coffer's defaults). */
  static String liveDefault(String name) {
    return switch (name) {
      case "compaction_throughput" -> "64";
      case "concurrent_compactors" -> "2";
      default -> throw new IllegalArgumentException(name + " is not applied live");
    };
  }

  private static Map<String, Parameter> build() {
    Map<String, Parameter> m = new LinkedHashMap<>();
    live(
        m,
        integer(
            "compaction_throughput",
            0,
            10_000,
            "MiB/s",
            "",
            "Throttles compaction to this rate across the node; 0 disables throttling."),
        "MiB/s",
        "setcompactionthroughput");
    live(
        m,
        integer(
            "concurrent_compactors",
            1,
            64,
            "",
            "",
            "Compactions allowed to run at once (Cassandra's default: the smaller of disks and"
                + " cores, at least 2)."),
        "",
        "setconcurrentcompactors");
    restart(m, integer("concurrent_reads", 2, 1024, "", "", "Threads serving reads."), "");
    restart(m, integer("concurrent_writes", 2, 1024, "", "", "Threads serving writes."), "");
    restart(
        m,
        integer("concurrent_counter_writes", 2, 1024, "", "", "Threads serving counter writes."),
        "");
    restart(
        m,
        integer(
            "memtable_heap_space",
            16,
            1_048_576,
            "MiB",
            "a quarter of the heap (the heap is half the flavor's RAM, at least 256 MiB)",
            "On-heap memory for memtables before they are flushed."),
        "MiB");
    restart(
        m,
        integer(
            "memtable_offheap_space",
            16,
            1_048_576,
            "MiB",
            "a quarter of the heap",
            "Off-heap memory for memtables before they are flushed."),
        "MiB");
    restart(
        m,
        integer("memtable_flush_writers", 1, 64, "", "", "Threads flushing memtables to disk."),
        "");
    restart(
        m,
        new ParameterSpec(
            "memtable_allocation_type",
            ParameterSpec.STRING,
            null,
            null,
            List.of(
                "unslabbed_heap_buffers",
                "unslabbed_heap_buffers_logged",
                "heap_buffers",
                "offheap_buffers",
                "offheap_objects"),
            true,
            "",
            "",
            "Where memtables keep their cells."),
        "");
    restart(
        m,
        integer(
            "commitlog_segment_size",
            1,
            1024,
            "MiB",
            "",
            "Size of one commit log segment (also the largest mutation is half of it)."),
        "MiB");
    restart(
        m,
        integer(
            "commitlog_total_space",
            32,
            1_048_576,
            "MiB",
            "",
            "Commit log space before the oldest memtables are flushed."),
        "MiB");
    restart(
        m,
        integer(
            "commitlog_sync_period",
            1,
            600_000,
            "ms",
            "",
            "How often the commit log is synced to disk (periodic mode)."),
        "ms");
    for (String timeout :
        List.of(
            "read_request_timeout",
            "write_request_timeout",
            "range_request_timeout",
            "counter_write_request_timeout",
            "cas_contention_timeout",
            "truncate_request_timeout",
            "request_timeout")) {
      restart(
          m,
          integer(
              timeout,
              1,
              3_600_000,
              "ms",
              "",
              "How long the coordinator waits before failing a request ("
                  + timeout.replace('_', ' ')
                  + ")."),
          "ms");
    }
    restart(
        m, integer("key_cache_size", 0, 1_048_576, "MiB", "", "Partition key cache size."), "MiB");
    restart(
        m,
        integer("row_cache_size", 0, 1_048_576, "MiB", "", "Row cache size; 0 disables it."),
        "MiB");
    restart(
        m, integer("counter_cache_size", 0, 1_048_576, "MiB", "", "Counter cache size."), "MiB");
    restart(
        m,
        integer(
            "batch_size_warn_threshold",
            1,
            1_048_576,
            "KiB",
            "",
            "Batches larger than this are logged as a warning."),
        "KiB");
    restart(
        m,
        integer(
            "batch_size_fail_threshold",
            1,
            1_048_576,
            "KiB",
            "",
            "Batches larger than this are refused."),
        "KiB");
    restart(
        m,
        integer(
            "tombstone_warn_threshold",
            1,
            Integer.MAX_VALUE,
            "",
            "",
            "Tombstones scanned by one query above which it is logged."),
        "");
    restart(
        m,
        integer(
            "tombstone_failure_threshold",
            1,
            Integer.MAX_VALUE,
            "",
            "",
            "Tombstones scanned by one query above which it is aborted."),
        "");
    restart(
        m, bool("hinted_handoff_enabled", "Whether hints are kept for nodes that are down."), "");
    restart(
        m,
        integer(
            "max_hint_window",
            0,
            Integer.MAX_VALUE,
            "ms",
            "",
            "How long hints are kept for a node that is down."),
        "ms");
    restart(
        m,
        integer(
            "stream_throughput_outbound",
            0,
            100_000,
            "MiB/s",
            "",
            "Limit of outbound streaming (bootstrap, decommission, repair); 0 is unlimited."),
        "MiB/s");
    restart(
        m,
        integer(
            "column_index_size", 1, 1_048_576, "KiB", "", "Granularity of the partition index."),
        "KiB");
    restart(
        m,
        integer(
            "native_transport_max_threads",
            1,
            65_536,
            "",
            "",
            "Threads serving CQL requests at most."),
        "");
    restart(
        m,
        integer(
            "gc_warn_threshold",
            0,
            3_600_000,
            "ms",
            "",
            "Garbage collection pauses above this are logged as warnings."),
        "ms");
    restart(m, bool("auto_snapshot", "Snapshot a table before it is dropped or truncated."), "");
    restart(
        m, bool("snapshot_before_compaction", "Snapshot before every compaction (costly)."), "");
    restart(
        m, bool("trickle_fsync", "Sync sequential writes every few MiB (smooths SSD I/O)."), "");
    for (String cache : List.of("permissions_validity", "roles_validity", "credentials_validity")) {
      restart(
          m,
          integer(
              cache,
              0,
              86_400_000,
              "ms",
              "",
              "How long the authentication cache keeps an entry (" + cache + "); 0 disables it."),
          "ms");
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  private static void live(
      Map<String, Parameter> m, ParameterSpec spec, String suffix, String cmd) {
    ParameterSpec liveSpec =
        new ParameterSpec(
            spec.name(),
            spec.type(),
            spec.min(),
            spec.max(),
            spec.allowed(),
            false,
            spec.unit(),
            spec.flavorDefault(),
            spec.description());
    m.put(spec.name(), new Parameter(liveSpec, suffix, Optional.of(cmd)));
  }

  private static void restart(Map<String, Parameter> m, ParameterSpec spec, String suffix) {
    m.put(spec.name(), new Parameter(spec, suffix, Optional.empty()));
  }

  private static ParameterSpec integer(
      String name, double min, double max, String unit, String flavorDefault, String description) {
    return new ParameterSpec(
        name, ParameterSpec.INTEGER, min, max, List.of(), true, unit, flavorDefault, description);
  }

  private static ParameterSpec bool(String name, String description) {
    return new ParameterSpec(
        name, ParameterSpec.BOOLEAN, null, null, List.of(), true, "", "", description);
  }
}

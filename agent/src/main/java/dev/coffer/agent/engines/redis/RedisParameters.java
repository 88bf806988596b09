package dev.coffer.agent.engines.redis;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.datastores.ParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * The configuration group catalog of Redis 7.0: the commonly tuned parameters, their Trove types
 * and ranges, and Coffer's default for each (Redis' own, or derived from the flavor where {@link
 * RedisFiles} derives one). Values travel in two forms: the catalog's ({@code true}/{@code false}
 * for booleans, plain integers in the catalog's unit) and the engine's ({@code yes}/{@code no}, the
 * words {@code CONFIG SET} and {@code redis.conf} take).
 *
 * <p>Left out on purpose: what Coffer manages ({@code bind}, {@code port}, {@code dir}, {@code
 * aclfile}, {@code logfile}, {@code pidfile}, {@code protected-mode}, the replication role and
 * {@code repl-diskless-*}, {@code replica-read-only}); {@code appendonly}, since a restore installs
 * the snapshot as the append-only file's base (see {@link RedisBackups}); {@code activedefrag} and
 * its thresholds, since Debian's redis-server is built without the Jemalloc that defragmentation
 * needs and refuses to enable it; {@code client-output-buffer-limit}, whose per-class syntax does
 * not fit a Trove value.
 *
 * <p>Restart-required are exactly those {@code CONFIG SET} refuses in 7.0 as immutable; the tests
 * check this against a running server.
 */
final class RedisParameters {

  /** {@code mb} in redis.conf is 1024 × 1024 bytes. */
  static final long MIB = 1024L * 1024;

  private static final long TIB = 1024L * 1024 * MIB;
  private static final long INT_MAX = Integer.MAX_VALUE;

  /** The event classes {@code notify-keyspace-events} accepts in Redis 7.0. */
  private static final String EVENT_CLASSES = "AKEg$lshzxetmdn";

  /** What {@code A} stands for in {@code notify-keyspace-events}. */
  private static final String ALL_EVENTS = "g$lshzxetd";

  /** Pairs of "seconds changes", seconds at least 1; or nothing at all (no snapshots). */
  private static final Pattern SAVE_POINTS =
      Pattern.compile("([1-9][0-9]{0,8} [0-9]{1,9})( [1-9][0-9]{0,8} [0-9]{1,9}){0,15}");

  /**
   * One catalog entry and its default in the engine's form, which may follow the flavor's RAM.
   *
   * @param defaultForMemoryMb Coffer's default for a flavor with this much RAM, in the engine's
   *     form
   */
  record RedisParameter(ParameterSpec spec, IntFunction<String> defaultForMemoryMb) {
    String name() {
      return spec.name();
    }

    boolean restartRequired() {
      return spec.restartRequired();
    }

    RedisParameter needingRestart() {
      ParameterSpec s = spec;
      return new RedisParameter(
          new ParameterSpec(
              s.name(),
              s.type(),
              s.min(),
              s.max(),
              s.allowed(),
              true,
              s.unit(),
              s.flavorDefault(),
              s.description()),
          defaultForMemoryMb);
    }
  }

  private static final Map<String, RedisParameter> CATALOG = catalog();

  private RedisParameters() {}

  /** The catalog as Trove lists it, in a stable order. */
  static List<ParameterSpec> specs() {
    return CATALOG.values().stream().map(RedisParameter::spec).toList();
  }

  static Set<String> names() {
    return CATALOG.keySet();
  }

  static RedisParameter parameter(String name) {
    RedisParameter parameter = CATALOG.get(name);
    if (parameter == null) {
      throw EngineException.badRequest(
          "\"" + name + "\" is not a configuration parameter of redis.");
    }
    return parameter;
  }

  /** Coffer's default in the engine's form: what a new instance of this flavor runs with. */
  static String defaultValue(String name, int memoryMb) {
    return parameter(name).defaultForMemoryMb().apply(memoryMb);
  }

  // ---- values -------------------------------------------------------------------------------

  /**
   * A value from the control plane in the engine's form, checked against the catalog and, for free
   * strings, against Redis' own syntax (so nothing reaches {@code redis.conf} that Redis would not
   * parse back).
   */
  static String toEngine(String name, String value) {
    ParameterSpec spec = parameter(name).spec();
    String v = value == null ? "" : value.strip();
    return switch (spec.type()) {
      case ParameterSpec.INTEGER -> Long.toString(integer(spec, v));
      case ParameterSpec.BOOLEAN -> bool(spec, v) ? "yes" : "no";
      default -> text(spec, v);
    };
  }

  /** A value {@code CONFIG GET} reported, in the catalog's form. */
  static String toCatalog(String name, String engineValue) {
    ParameterSpec spec = parameter(name).spec();
    if (ParameterSpec.BOOLEAN.equals(spec.type())) {
      return Boolean.toString("yes".equalsIgnoreCase(engineValue));
    }
    return engineValue;
  }

  /**
   * Whether two values in the engine's form mean the same setting ({@code CONFIG GET} reports some
   * in a canonical spelling of its own, such as {@code AKE} for {@code KEA}).
   */
  static boolean sameSetting(String name, String a, String b) {
    if (a == null || b == null) {
      return a == b;
    }
    return switch (name) {
      case "save" -> words(a).equals(words(b));
      case "notify-keyspace-events" -> events(a).equals(events(b));
      default -> a.strip().equalsIgnoreCase(b.strip());
    };
  }

  /** How a value is written in an included config file: one directive per line. */
  static String directive(String name, String engineValue) {
    String rendered =
        switch (name) {
          // save takes several words; an empty save (no snapshots) must be spelled "".
          case "save" -> engineValue.isEmpty() ? "\"\"" : engineValue;
          // The only free text left: quoted, since it may be empty or start with '$'.
          case "notify-keyspace-events" -> "\"" + engineValue + "\"";
          default -> engineValue;
        };
    return name + " " + rendered;
  }

  private static long integer(ParameterSpec spec, String v) {
    long parsed;
    try {
      parsed = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw outOfRange(spec);
    }
    if ((spec.min() != null && parsed < spec.min())
        || (spec.max() != null && parsed > spec.max())) {
      throw outOfRange(spec);
    }
    return parsed;
  }

  private static EngineException outOfRange(ParameterSpec spec) {
    return EngineException.badRequest(
        spec.name()
            + " must be an integer from "
            + spec.min().longValue()
            + " to "
            + spec.max().longValue()
            + (spec.unit().isEmpty() ? "" : " (" + spec.unit() + ")")
            + ".");
  }

  private static boolean bool(ParameterSpec spec, String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw EngineException.badRequest(spec.name() + " must be true or false.");
    };
  }

  private static String text(ParameterSpec spec, String v) {
    if (!spec.allowed().isEmpty()) {
      return spec.allowed().stream()
          .filter(allowed -> allowed.equalsIgnoreCase(v))
          .findFirst()
          .orElseThrow(
              () ->
                  EngineException.badRequest(
                      spec.name() + " must be one of " + String.join(", ", spec.allowed()) + "."));
    }
    switch (spec.name()) {
      case "save" -> {
        String points = String.join(" ", words(v));
        if (!points.isEmpty() && !SAVE_POINTS.matcher(points).matches()) {
          throw EngineException.badRequest(
              "save must be empty (no snapshots) or up to 16 pairs \"seconds changes\" separated"
                  + " by spaces, seconds at least 1, such as \"3600 1 300 100\".");
        }
        return points;
      }
      case "notify-keyspace-events" -> {
        if (v.length() > EVENT_CLASSES.length()
            || !v.chars().allMatch(c -> EVENT_CLASSES.indexOf(c) >= 0)) {
          throw EngineException.badRequest(
              "notify-keyspace-events must be empty or made of the event classes "
                  + EVENT_CLASSES
                  + ".");
        }
        return v;
      }
      default -> throw new IllegalStateException("no syntax for " + spec.name());
    }
  }

  private static List<String> words(String value) {
    String stripped = value.strip();
    return stripped.isEmpty() ? List.of() : List.of(stripped.split("\\s+"));
  }

  private static Set<Character> events(String value) {
    Set<Character> flags = new TreeSet<>();
    for (char c : value.strip().toCharArray()) {
      if (c == 'A') {
        ALL_EVENTS.chars().forEach(all -> flags.add((char) all));
      } else {
        flags.add(c);
      }
    }
    return flags;
  }

  // ---- the catalog --------------------------------------------------------------------------

  private static Map<String, RedisParameter> catalog() {
    List<RedisParameter> all = new ArrayList<>();

    // Memory and eviction
    all.add(
        new RedisParameter(
            new ParameterSpec(
                "maxmemory",
                ParameterSpec.INTEGER,
                0d,
                (double) TIB,
                List.of(),
                false,
                "bytes",
                "75% of the flavor's RAM, at least " + RedisFiles.MIN_MAXMEMORY_MB + " MB",
                "Memory limit for the data set; 0 means no limit."),
            memoryMb -> Long.toString(RedisFiles.maxMemoryMb(memoryMb) * MIB)));
    all.add(
        choice(
            "maxmemory-policy",
            "noeviction",
            List.of(
                "noeviction",
                "allkeys-lru",
                "allkeys-lfu",
                "allkeys-random",
                "volatile-lru",
                "volatile-lfu",
                "volatile-random",
                "volatile-ttl"),
            "Which keys are evicted when maxmemory is reached, or none (writes are refused)."));
    all.add(
        integer(
            "maxmemory-samples",
            1,
            64,
            5,
            "keys",
            "Keys sampled per eviction: higher is closer to true LRU/LFU, at more CPU."));
    all.add(
        integer(
            "lfu-log-factor",
            0,
            255,
            10,
            "",
            "How many hits it takes to saturate a key's LFU counter (logarithmic factor)."));
    all.add(
        integer(
            "lfu-decay-time",
            0,
            10_080,
            1,
            "min",
            "Minutes after which an idle key's LFU counter is halved; 0 never decays."));
    all.add(
        bool(
            "lazyfree-lazy-eviction",
            false,
            "Free the memory of evicted keys in a background thread."));
    all.add(
        bool(
            "lazyfree-lazy-expire",
            false,
            "Free the memory of expired keys in a background thread."));
    all.add(
        bool(
            "lazyfree-lazy-server-del",
            false,
            "Free the memory of keys the server deletes implicitly (RENAME, SET over a key...) in a"
                + " background thread."));
    all.add(
        bool(
            "lazyfree-lazy-user-del",
            false,
            "Make DEL behave like UNLINK: free the memory in a background thread."));
    all.add(
        bool(
            "lazyfree-lazy-user-flush",
            false,
            "Make FLUSHDB and FLUSHALL without a modifier asynchronous."));

    // Clients and connections
    all.add(
        integer(
            "maxclients",
            1,
            INT_MAX,
            10_000,
            "clients",
            "Most clients connected at once; above what the OS file limit allows, Redis refuses"
                + " it."));
    all.add(
        integer(
            "timeout",
            0,
            31_536_000,
            0,
            "s",
            "Close a client connection idle for this many seconds; 0 never closes it."));
    all.add(
        integer(
            "tcp-keepalive",
            0,
            86_400,
            300,
            "s",
            "Interval of TCP keepalive probes to clients; 0 sends none."));
    all.add(
        integer(
                "tcp-backlog",
                0,
                65_535,
                511,
                "connections",
                "Listen backlog of the server socket (capped by the kernel's somaxconn).")
            .needingRestart());
    all.add(
        integer(
            "busy-reply-threshold",
            0,
            3_600_000,
            5_000,
            "ms",
            "After a script or function runs this long, other clients get BUSY (formerly"
                + " lua-time-limit); 0 never."));
    all.add(
        integer(
            "client-query-buffer-limit",
            1_048_576,
            4L * 1024 * MIB,
            1_073_741_824,
            "bytes",
            "Largest query buffer of one client."));

    // Server
    all.add(
        integer(
                "databases",
                1,
                1_024,
                16,
                "databases",
                "Number of numbered databases (SELECT 0 to n-1). Lowering it below a database"
                    + " holding keys is refused: the data would not load.")
            .needingRestart());
    all.add(
        integer(
                "io-threads",
                1,
                128,
                1,
                "threads",
                "Threads writing replies to clients (the main thread counts as one).")
            .needingRestart());
    all.add(
        bool("io-threads-do-reads", false, "I/O threads also read and parse client queries.")
            .needingRestart());
    all.add(
        integer(
            "hz",
            1,
            500,
            10,
            "Hz",
            "How often per second background tasks run (expiry, timeouts, rehashing)."));
    all.add(bool("dynamic-hz", true, "Raise hz with the number of connected clients when needed."));
    all.add(
        bool(
            "activerehashing",
            true,
            "Spend 1 ms of every 100 ms rehashing the main dictionaries, to free memory sooner."));
    all.add(
        choice(
            "loglevel",
            "notice",
            List.of("debug", "verbose", "notice", "warning"),
            "How much redis-server writes to its log."));

    // Persistence
    all.add(
        text(
            "save",
            "3600 1 300 100 60 10000",
            "RDB snapshot points as pairs \"seconds changes\" (snapshot after that many seconds if"
                + " at least that many changes); empty for none."));
    all.add(
        choice(
            "appendfsync",
            "everysec",
            List.of("always", "everysec", "no"),
            "When the append-only file is flushed to disk: every write, every second, or by the"
                + " OS."));
    all.add(
        bool(
            "no-appendfsync-on-rewrite",
            false,
            "Skip fsync of the append-only file while a rewrite or snapshot runs (less latency,"
                + " more at risk)."));
    all.add(
        integer(
            "auto-aof-rewrite-percentage",
            0,
            10_000,
            100,
            "percent",
            "Rewrite the append-only file once it grew by this much since the last rewrite; 0"
                + " never."));
    all.add(
        integer(
            "auto-aof-rewrite-min-size",
            0,
            TIB,
            64 * MIB,
            "bytes",
            "Smallest append-only file that is rewritten automatically."));
    all.add(bool("rdbcompression", true, "Compress strings with LZF in snapshots."));
    all.add(
        bool("rdbchecksum", true, "Write and verify a CRC64 checksum at the end of snapshots.")
            .needingRestart());
    all.add(
        bool(
            "stop-writes-on-bgsave-error",
            true,
            "Refuse writes while the last background snapshot failed."));

    // Monitoring
    all.add(
        integer(
            "slowlog-log-slower-than",
            -1,
            3_600_000_000L,
            10_000,
            "us",
            "Log commands slower than this in the slow log; 0 logs every command, -1 none."));
    all.add(
        integer("slowlog-max-len", 0, 1_000_000, 128, "entries", "Entries kept in the slow log."));
    all.add(
        integer(
            "latency-monitor-threshold",
            0,
            3_600_000,
            0,
            "ms",
            "Record events slower than this for LATENCY; 0 turns the latency monitor off."));
    all.add(
        text(
            "notify-keyspace-events",
            "",
            "Keyspace notifications to publish, as event class letters (K, E, g, $, l, s, h, z,"
                + " x, e, t, m, d, n, A); empty for none."));

    // Encodings of small values
    all.add(
        integer(
            "hash-max-listpack-entries",
            0,
            100_000,
            512,
            "entries",
            "Hashes with at most this many fields use the compact listpack encoding."));
    all.add(
        integer(
            "hash-max-listpack-value",
            0,
            65_536,
            64,
            "bytes",
            "Hashes whose values are all at most this long use the compact listpack encoding."));
    all.add(
        integer(
            "list-max-listpack-size",
            -5,
            32_767,
            -2,
            "",
            "Size of each list node: a positive entry count, or -1 to -5 for 4, 8, 16, 32 or 64"
                + " kB."));
    all.add(
        integer(
            "list-compress-depth",
            0,
            65_535,
            0,
            "nodes",
            "List nodes left uncompressed at each end; 0 compresses nothing."));
    all.add(
        integer(
            "set-max-intset-entries",
            0,
            1_000_000,
            512,
            "entries",
            "Sets of at most this many integers use the compact intset encoding."));
    all.add(
        integer(
            "zset-max-listpack-entries",
            0,
            100_000,
            128,
            "entries",
            "Sorted sets with at most this many members use the compact listpack encoding."));
    all.add(
        integer(
            "zset-max-listpack-value",
            0,
            65_536,
            64,
            "bytes",
            "Sorted sets whose members are all at most this long use the listpack encoding."));
    all.add(
        integer(
            "stream-node-max-bytes",
            0,
            1_073_741_824,
            4_096,
            "bytes",
            "Largest node of a stream's radix tree; 0 means no limit."));
    all.add(
        integer(
            "stream-node-max-entries",
            0,
            1_000_000,
            100,
            "entries",
            "Most entries in one node of a stream's radix tree; 0 means no limit."));

    // Replication buffer (the role itself is Coffer's, see RedisReplication)
    all.add(
        new RedisParameter(
            new ParameterSpec(
                "repl-backlog-size",
                ParameterSpec.INTEGER,
                16_384d,
                (double) (64 * 1024 * MIB),
                List.of(),
                false,
                "bytes",
                "1/16 of the flavor's RAM, at least 1 MB",
                "Backlog a replica that was briefly away resumes from without a full resync."),
            memoryMb -> Long.toString(RedisFiles.replBacklogMb(memoryMb) * MIB)));

    Map<String, RedisParameter> byName = new LinkedHashMap<>();
    for (RedisParameter parameter : all) {
      if (byName.put(parameter.name(), parameter) != null) {
        throw new IllegalStateException("duplicate parameter " + parameter.name());
      }
    }
    return byName;
  }

  private static RedisParameter integer(
      String name, long min, long max, long engineDefault, String unit, String description) {
    String value = Long.toString(engineDefault);
    return new RedisParameter(
        new ParameterSpec(
            name,
            ParameterSpec.INTEGER,
            (double) min,
            (double) max,
            List.of(),
            false,
            unit,
            "",
            description),
        memoryMb -> value);
  }

  private static RedisParameter bool(String name, boolean engineDefault, String description) {
    String value = engineDefault ? "yes" : "no";
    return new RedisParameter(
        new ParameterSpec(
            name, ParameterSpec.BOOLEAN, null, null, List.of(), false, "", "", description),
        memoryMb -> value);
  }

  private static RedisParameter choice(
      String name, String engineDefault, List<String> allowed, String description) {
    return new RedisParameter(
        new ParameterSpec(
            name, ParameterSpec.STRING, null, null, allowed, false, "", "", description),
        memoryMb -> engineDefault);
  }

  private static RedisParameter text(String name, String engineDefault, String description) {
    return new RedisParameter(
        new ParameterSpec(
            name, ParameterSpec.STRING, null, null, List.of(), false, "", "", description),
        memoryMb -> engineDefault);
  }
}

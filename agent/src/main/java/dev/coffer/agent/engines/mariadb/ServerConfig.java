package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.GuestLogSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/** The {@code my.cnf} of one instance, derived from its context. */
final class ServerConfig {
  private ServerConfig() {}

  static final String SOCKET = "mysqld.sock";
  static final String PID_FILE = "mysqld.pid";
  static final String ERROR_LOG = "error.log";
  static final String SLOW_LOG = "slow.log";
  static final String GENERAL_LOG = "general.log";

  /**
   * The slowness threshold a slow query log turned on as a guest log starts with, in seconds
   * (Trove's default); a configuration group's {@code long_query_time} wins over it.
   */
  static final String GUEST_LOG_LONG_QUERY_TIME = "1";

  static final String CHARACTER_SET = "utf8mb4";
  static final String COLLATION = "utf8mb4_general_ci";

  /** Where {@code SELECT ... INTO OUTFILE} and {@code LOAD DATA} may touch files. */
  static Path filesDir(EngineContext context) {
    return context.instanceDir().resolve("files");
  }

  /** InnoDB's buffer pool takes half of the flavor's RAM, at least 32 MB. */
  static int bufferPoolMb(int memoryMb) {
    return Math.max(32, memoryMb / 2);
  }

  /** The redo log is a quarter of the buffer pool, at least 16 MB. */
  static int logFileMb(int memoryMb) {
    return Math.max(16, bufferPoolMb(memoryMb) / 4);
  }

  /** About one connection per 4 MB of RAM, between 50 and 1000. */
  static int maxConnections(int memoryMb) {
    return Math.min(1000, Math.max(50, memoryMb / 4));
  }

  /**
   * The binary log the agent archives for point-in-time recovery ({@link BinaryLogArchive}): in the
   * data directory (so a restore, which replaces the data directory, starts a fresh one), row-based
   * (a replay gives exactly the rows written, whatever the statements' functions or plans), and
   * synced at every commit (what the server acknowledged is in the file the agent copies).
   */
  static List<String> binaryLogOptions() {
    return List.of(
        "log-bin=" + BinaryLogArchive.BASENAME,
        "binlog_format=ROW",
        "sync_binlog=1",
        // the agent purges each file once it is spooled; this only bounds the disk used while no
        // log archive is configured (instances created before archiving existed) or the agent is
        // down for a week
        "expire_logs_days=7",
        // with row-based logging, stored functions cannot make a replay diverge; without this,
        // creating one would need SUPER, which tenants never have
        "log_bin_trust_function_creators=1");
  }

  /**
   * Every server of a replication set needs an id of its own: derived from the instance id, so it
   * stays the same across restarts, restores and moves (1 to 2^32-1; 0 would disable replication).
   */
  static long serverId(String instanceId) {
    CRC32 crc = new CRC32();
    crc.update(instanceId.getBytes(StandardCharsets.UTF_8));
    long id = crc.getValue();
    return id == 0 ? 1 : id;
  }

  static String render(EngineContext context, SqlDialect dialect) {
    return render(context, dialect, ReplicationState.STANDALONE);
  }

  static String render(EngineContext context, SqlDialect dialect, ReplicationState replication) {
    return render(context, dialect, replication, ParameterGroup.EMPTY);
  }

  /**
   * The whole file. The configuration group comes last in {@code [mysqld]}, so its values win over
   * the settings Coffer derives; the options Coffer manages are not in its catalog.
   */
  static String render(
      EngineContext context,
      SqlDialect dialect,
      ReplicationState replication,
      ParameterGroup group) {
    return render(context, dialect, replication, group, new GuestLogSettings(Set.of()));
  }

  /**
   * The whole file. Guest logs turned on come before the configuration group, so a group that sets
   * {@code slow_query_log} or {@code long_query_time} itself wins (as Trove's user overrides win
   * over its log overrides).
   */
  static String render(
      EngineContext context,
      SqlDialect dialect,
      ReplicationState replication,
      ParameterGroup group,
      GuestLogSettings guestLogs) {
    return render(context, dialect, replication, group, guestLogs, List.of(), List.of());
  }

  /**
   * The whole file, for a cluster member: {@code clusterOptions} ({@link
   * GaleraCluster#serverOptions}) follow the replication options they override, and {@code trailer}
   * ({@link GaleraCluster#trailer}) ends the file with sections of its own.
   */
  static String render(
      EngineContext context,
      SqlDialect dialect,
      ReplicationState replication,
      ParameterGroup group,
      GuestLogSettings guestLogs,
      List<String> clusterOptions,
      List<String> trailer) {
    int pool = bufferPoolMb(context.memoryMb());
    List<String> lines = new ArrayList<>();
    lines.add("# Written by the Coffer agent before every start; changes here are overwritten.");
    lines.add("[mysqld]");
    lines.add("bind-address=" + context.bindAddress());
    lines.add("port=" + context.port());
    lines.add("datadir=" + context.dataDir());
    lines.add("socket=" + context.runDir().resolve(SOCKET));
    lines.add("pid-file=" + context.runDir().resolve(PID_FILE));
    lines.add("log-error=" + context.logDir().resolve(ERROR_LOG));
    // engines of all instances run as one OS user: confine file import and export to this
    // instance, or root of one instance could read another instance's data files
    lines.add("secure-file-priv=" + filesDir(context));
    // clients are matched by address; no DNS lookups on connect
    lines.add("skip-name-resolve");
    lines.add("innodb_buffer_pool_size=" + pool + "M");
    lines.add("innodb_log_file_size=" + logFileMb(context.memoryMb()) + "M");
    lines.add("max_connections=" + maxConnections(context.memoryMb()));
    lines.add("character-set-server=" + CHARACTER_SET);
    lines.add("collation-server=" + COLLATION);
    // the slow query log (off unless a configuration group turns it on) goes with the other logs,
    // not into the data directory that backups copy
    lines.add("slow_query_log_file=" + context.logDir().resolve(SLOW_LOG));
    lines.add("general_log_file=" + context.logDir().resolve(GENERAL_LOG));
    // saves tens of megabytes per instance; tiny flavors cannot spare them
    lines.add("performance_schema=OFF");
    if (dialect.archivesBinaryLog()) {
      lines.addAll(binaryLogOptions());
    }
    lines.addAll(dialect.serverOptions());
    lines.addAll(dialect.replicationOptions(serverId(context.instanceId())));
    if (replication.readOnly()) {
      // a replica or a fenced server refuses client writes from its first moment
      lines.addAll(dialect.readOnlyOptions());
    }
    if (replication.synchronous() && !replication.readOnly()) {
      lines.addAll(dialect.semiSyncOptions(true));
      // A server that starts with the replica side on recovers from a crash by truncating binlog
      // transactions no replica acknowledged (never acknowledged to a client either), instead of
      // committing them: a primary killed mid-commit can then rejoin the set it fell out of.
      lines.addAll(dialect.semiSyncOptions(false));
    } else if (replication.synchronous() && replication.replica()) {
      lines.addAll(dialect.semiSyncOptions(false));
    }
    if (guestLogs.isEnabled(MariaDbGuestLogs.GENERAL)) {
      lines.add("# guest logs");
      lines.add("general_log=ON");
    }
    if (guestLogs.isEnabled(MariaDbGuestLogs.SLOW_QUERY)) {
      lines.add("# guest logs");
      lines.add("slow_query_log=ON");
      lines.add("long_query_time=" + GUEST_LOG_LONG_QUERY_TIME);
    }
    List<String> groupLines = MariaDbConfiguration.optionLines(group);
    if (!groupLines.isEmpty()) {
      lines.add("# configuration group");
      lines.addAll(groupLines);
    }
    // last: a configuration group cannot undo what Galera needs (row-based logging, InnoDB,
    // interleaved auto-increment locks)
    lines.addAll(clusterOptions);
    lines.add("");
    lines.add("[client]");
    lines.add("socket=" + context.runDir().resolve(SOCKET));
    lines.add("port=" + context.port());
    lines.add("");
    lines.addAll(trailer);
    return String.join("\n", lines);
  }
}

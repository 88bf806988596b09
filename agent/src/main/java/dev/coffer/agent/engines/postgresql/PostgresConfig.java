package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.EngineContext;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The configuration files the agent owns. They are rewritten on every start, so a new address, port
 * or flavor (memory) takes effect with a restart and nothing else needs to edit them.
 */
final class PostgresConfig {
  /** Included at the end of initdb's {@code postgresql.conf}, so these settings win. */
  static final String SETTINGS_FILE = "coffer.conf";

  static final String INCLUDE_LINE = "include = '" + SETTINGS_FILE + "'";

  private PostgresConfig() {}

  /**
   * Memory settings derived from the flavor's RAM: shared_buffers about 25 %, the planner's cache
   * estimate about 75 %, per-sort memory small enough for 100 connections to sort at once.
   */
  record Memory(int sharedBuffersMb, int effectiveCacheSizeMb, int workMemMb, int maintenanceMb) {
    static Memory forFlavor(int memoryMb) {
      int ram = Math.max(memoryMb, 128);
      return new Memory(
          Math.max(32, ram / 4),
          Math.max(64, ram * 3 / 4),
          Math.max(1, ram / 64),
          Math.min(2048, Math.max(16, ram / 16)));
    }
  }

  /**
   * Seconds after which a WAL segment with any change in it is closed and archived even if it is
   * not full: the most a point-in-time restore can lose when the instance's volume is lost.
   */
  static final int ARCHIVE_TIMEOUT_SECONDS = 60;

  /** Where finished WAL segments wait for the agent to ship them (outside the data directory). */
  static Path logSpool(EngineContext context) {
    return context.instanceDir().resolve("wal-spool");
  }

  /**
   * Copies a finished WAL file into the spool under a hidden name, syncs it, then renames it, so
   * the agent only ever sees whole files. Idempotent: PostgreSQL may archive a file again after a
   * crash, and the copy simply replaces the earlier one. {@code -p} keeps the segment's time of
   * last write, which tells the agent up to when the archive reaches.
   */
  static String archiveCommand(EngineContext context) {
    String spool = logSpool(context).toString();
    return "cp -p \"%p\" \"SPOOL/.%f.tmp\" && sync \"SPOOL/.%f.tmp\" && mv -f \"SPOOL/.%f.tmp\" \"SPOOL/%f\""
        .replace("SPOOL", spool);
  }

  static String settings(EngineContext context) {
    Memory memory = Memory.forFlavor(context.memoryMb());
    return """
        # Written by the Coffer agent on every start; changes here are overwritten.
        listen_addresses = %s
        port = %d
        unix_socket_directories = %s
        max_connections = 100
        password_encryption = 'scram-sha-256'
        shared_buffers = %dMB
        effective_cache_size = %dMB
        work_mem = %dMB
        maintenance_work_mem = %dMB
        logging_collector = on
        log_directory = %s
        log_filename = 'postgresql-%%a.log'
        log_truncate_on_rotation = on
        log_rotation_age = 1d
        log_rotation_size = 0
        log_line_prefix = '%%m [%%p] %%q%%u@%%d '
        wal_level = replica
        archive_mode = on
        archive_timeout = %d
        archive_command = %s
        """
        .formatted(
            literal(context.bindAddress()),
            context.port(),
            literal(context.runDir().toString()),
            memory.sharedBuffersMb(),
            memory.effectiveCacheSizeMb(),
            memory.workMemMb(),
            memory.maintenanceMb(),
            literal(context.logDir().toString()),
            ARCHIVE_TIMEOUT_SECONDS,
            literal(archiveCommand(context)));
  }

  /**
   * Password (SCRAM) logins only, and only from loopback: clients reach the instance through its
   * 127.x address, and every loopback client appears as 127.0.0.1. The socket also asks for a
   * password, so no OS user (such as Debian's {@code postgres}) gets in through peer
   * authentication. Replication connections ({@code all} does not match them) are for the agent's
   * own base backups only: its admin user, over the socket in the run directory.
   */
  static String hostBasedAuthentication() {
    return """
        # Written by the Coffer agent on every start; changes here are overwritten.
        # TYPE  DATABASE     USER      ADDRESS       METHOD
        local   replication  %s                scram-sha-256
        local   all          all                     scram-sha-256
        host    all          all       127.0.0.0/8   scram-sha-256
        """
        .formatted(PostgresEngineFactory.ADMIN_USER);
  }

  /**
   * The names of the settings in {@link #settings}: they belong to this instance (its address,
   * port, directories, memory), never to a backup it was restored from.
   */
  static Set<String> instanceSettingNames(EngineContext context) {
    Set<String> names = new LinkedHashSet<>();
    for (String line : settings(context).lines().toList()) {
      int equals = line.indexOf('=');
      if (!line.startsWith("#") && equals > 0) {
        names.add(line.substring(0, equals).strip());
      }
    }
    return names;
  }

  /** A configuration-file string literal. */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
  }
}

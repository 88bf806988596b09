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
   * Startup options of every session of the agent and its tools: a configuration group's timeouts
   * apply to all sessions, and must not end the agent's long statements, pg_rewind's file reads or
   * the idle session that holds a backup's slot.
   */
  static final String AGENT_SESSION_OPTIONS =
      "-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0"
          + " -c idle_session_timeout=0";

  /**
   * The same for the agent's admin sessions (a superuser may set these): a group's statement
   * logging must not write the agent's statements, which carry password verifiers, to the log.
   */
  static final String ADMIN_SESSION_OPTIONS =
      AGENT_SESSION_OPTIONS + " -c log_statement=none -c log_min_duration_statement=-1";

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

  /** The settings of an instance that never joined a replication set. */
  static String settings(EngineContext context) {
    return settings(context, PostgresRole.STANDALONE);
  }

  /**
   * This instance's settings in its replication role. The replication settings are always written
   * (empty on a primary), so {@link #instanceSettingNames} names them and a restore or a rewind
   * drops any copy that came from the source's {@code postgresql.auto.conf}.
   *
   * <p>{@code wal_log_hints} lets {@code pg_rewind} rewind a former primary that diverged; it must
   * hold from the first start, before any divergence. A replica's {@code primary_conninfo} names a
   * password file, never a password.
   */
  static String settings(EngineContext context, PostgresRole role) {
    String primaryConninfo = "";
    String slot = "";
    if (role.isReplica()) {
      primaryConninfo =
          "host=%s port=%d user=%s dbname=postgres passfile=%s application_name=%s sslmode=disable connect_timeout=5"
              .formatted(
                  conninfoValue(role.sourceHost()),
                  role.sourcePort(),
                  PostgresEngineFactory.REPLICATION_USER,
                  conninfoValue(replicationPassFile(context).toString()),
                  conninfoValue(context.instanceId()));
      slot = slotName(context.instanceId());
    }
    return base(context)
        + """
        wal_log_hints = on
        hot_standby = on
        max_wal_senders = 10
        max_replication_slots = 10
        wal_keep_size = 64MB
        wal_retrieve_retry_interval = 1s
        recovery_target_timeline = 'latest'
        primary_conninfo = %s
        primary_slot_name = %s
        # Guest logs turned on, then the configuration group: each wins over what comes before.
        include_if_exists = %s
        include_if_exists = %s
        """
            .formatted(
                literal(primaryConninfo),
                literal(slot),
                literal(PostgresGuestLogs.FILE),
                literal(PostgresConfigurationGroup.FILE));
  }

  /**
   * The password file a replica's WAL receiver and {@code pg_rewind} read (mode 0600, owned by the
   * run-as user); rewritten from the agent's copy on every start.
   */
  static Path replicationPassFile(EngineContext context) {
    return context.runDir().resolve("replication.pgpass");
  }

  /**
   * A physical replication slot's name for an instance id: slot names are lower-case letters,
   * digits and '_', at most 63 characters.
   */
  static String slotName(String instanceId) {
    String name = instanceId.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    return name.length() <= 63 ? name : name.substring(0, 63);
  }

  /** A libpq connection-string value, quoted. */
  static String conninfoValue(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String base(EngineContext context) {
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
   * own base backups (its admin user, over the socket in the run directory) and for replicas (the
   * replication account, from any address).
   *
   * <p>One exception to passwords: the run-as OS user, mapped in {@link #identMap}, logs in as the
   * admin over the socket by peer authentication. That user owns the data files already, so this
   * gives it nothing new; the agent needs it on a promoted replica, whose admin password is still
   * the former primary's.
   */
  static String hostBasedAuthentication() {
    return """
        # Written by the Coffer agent on every start; changes here are overwritten.
        # TYPE  DATABASE     USER      ADDRESS       METHOD
        local   replication  %1$s                scram-sha-256
        local   all          %1$s                peer map=%3$s
        local   all          all                     scram-sha-256
        host    all          all       127.0.0.0/8   scram-sha-256
        host    replication  %2$s      0.0.0.0/0     scram-sha-256
        host    replication  %2$s      ::/0          scram-sha-256
        """
        .formatted(
            PostgresEngineFactory.ADMIN_USER, PostgresEngineFactory.REPLICATION_USER, IDENT_MAP);
  }

  static final String IDENT_MAP = "coffer_agent";

  /** The peer map of {@link #hostBasedAuthentication}: the run-as OS user may be the admin. */
  static String identMap(String osUser) {
    return """
        # Written by the Coffer agent on every start; changes here are overwritten.
        # MAPNAME       SYSTEM-USERNAME   PG-USERNAME
        %s  %s  %s
        """
        .formatted(IDENT_MAP, osUser, PostgresEngineFactory.ADMIN_USER);
  }

  /**
   * The names of the settings in {@link #settings}: they belong to this instance (its address,
   * port, directories, memory), never to a backup it was restored from.
   */
  static Set<String> instanceSettingNames(EngineContext context) {
    Set<String> names = new LinkedHashSet<>();
    for (String line : settings(context, PostgresRole.STANDALONE).lines().toList()) {
      int equals = line.indexOf('=');
      if (!line.startsWith("#") && !line.startsWith("include") && equals > 0) {
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

package dev.coffer.agent.engines.postgresql;

import static dev.coffer.agent.engines.postgresql.PostgresEngineFactory.REPLICATION_USER;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.postgresql.util.PasswordUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Physical streaming replication of one PostgreSQL cluster.
 *
 * <p>A source gets the replication account {@code os_repl} (REPLICATION, pg_monitor, and the file
 * functions pg_rewind needs, so that no superuser password ever leaves an instance) and a physical
 * slot per replica, named after the replica's id, so it keeps the WAL the replica still needs. A
 * replica is a base backup of the source started with {@code standby.signal} and a {@code
 * primary_conninfo} that names a password file.
 *
 * <p>The role (primary, replica, fenced) is persisted ({@link PostgresRole}) and decides every
 * start: a replica and a fenced server start in standby mode, so they refuse writes whatever a
 * client sets; fenced has no {@code primary_conninfo}, so it replicates from nobody.
 *
 * <p>The admin role on a replica is its source's (pg_authid is replicated), so this agent's admin
 * password does not open it, and the agent must not change it (that would write WAL and make the
 * replica diverge). So, while the admin role is another instance's, the agent logs in as {@code
 * os_repl}, whose password the control plane gives to every member of the set. Promotion gives the
 * admin role this instance's password again, over the socket by peer authentication.
 */
final class PostgresReplication {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresReplication.class);

  private static final Duration STREAMING_DEADLINE = Duration.ofSeconds(60);
  private static final String SYNCHRONOUS_STANDBYS = "ANY 1 (*)";

  /** Functions pg_rewind calls on its source, granted so that os_repl can be that source's user. */
  private static final List<String> REWIND_FUNCTIONS =
      List.of(
          "pg_catalog.pg_ls_dir(text, boolean, boolean)",
          "pg_catalog.pg_stat_file(text, boolean)",
          "pg_catalog.pg_read_binary_file(text)",
          "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)");

  private final EngineContext context;
  private final PostgresServer server;

  PostgresReplication(EngineContext context, PostgresServer server) {
    this.context = context;
    this.server = server;
  }

  // ---- source ----

  /**
   * Creates (or updates) the replication account and the replica's slot. The slot reserves WAL at
   * once, so everything after it is kept until the replica, seeded from a backup taken after this,
   * has streamed it. Returns no positions: the backup's manifest is all a replica needs.
   */
  Map<String, String> prepareSource(SourceRequest request) {
    String password = checkCredentials(request.credentials());
    PostgresRole role = server.role();
    if (!role.isPrimary()) {
      throw EngineException.badRequest(
          "Only a primary can serve replicas; this instance is " + role.role() + ".");
    }
    String slot = PostgresConfig.slotName(request.replicaId());
    String verifier = PasswordUtil.encodeScramSha256(password.toCharArray());
    try (Connection c = server.connect("postgres");
        Statement s = c.createStatement()) {
      boolean exists;
      try (ResultSet rs =
          s.executeQuery(
              "SELECT 1 FROM pg_roles WHERE rolname = "
                  + PostgresEngine.literal(REPLICATION_USER))) {
        exists = rs.next();
      }
      s.execute(
          (exists ? "ALTER" : "CREATE")
              + " ROLE "
              + PostgresEngine.ident(REPLICATION_USER)
              + " WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD "
              + PostgresEngine.literal(verifier));
      s.execute("GRANT pg_monitor TO " + PostgresEngine.ident(REPLICATION_USER));
      for (String function : REWIND_FUNCTIONS) {
        s.execute(
            "GRANT EXECUTE ON FUNCTION "
                + function
                + " TO "
                + PostgresEngine.ident(REPLICATION_USER));
      }
      try (PreparedStatement create =
          c.prepareStatement(
              "SELECT pg_create_physical_replication_slot(?, true) WHERE NOT EXISTS"
                  + " (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
        create.setString(1, slot);
        create.setString(2, slot);
        create.executeQuery().close();
      }
    } catch (SQLException e) {
      throw EngineException.failure(
          "cannot prepare the source for replica " + request.replicaId() + ": " + e.getMessage(),
          e);
    }
    // Kept for the day this primary is fenced or rejoins as a replica.
    server.saveReplicationPassword(password);
    if (role.synchronous() != request.synchronous()) {
      server.changeRole(role.withSynchronous(request.synchronous()));
    }
    LOG.info(
        "replication source prepared instance={} replica={} slot={}",
        context.instanceId(),
        request.replicaId(),
        slot);
    return Map.of();
  }

  /** Drops the replica's slot, ending its WAL sender first if it is still connected. */
  void releaseReplica(String replicaId) {
    String slot = PostgresConfig.slotName(replicaId);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try (Connection c = server.connect("postgres")) {
      while (true) {
        try (PreparedStatement end =
                c.prepareStatement(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                        + " WHERE slot_name = ? AND active_pid IS NOT NULL");
            PreparedStatement drop =
                c.prepareStatement(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = ?")) {
          end.setString(1, slot);
          end.executeQuery().close();
          drop.setString(1, slot);
          drop.executeQuery().close();
          break;
        } catch (SQLException e) {
          // 55006: the slot is still active, its WAL sender not gone yet.
          if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
            throw e;
          }
          pause();
        }
      }
    } catch (SQLException e) {
      throw EngineException.failure(
          "cannot release replica " + replicaId + ": " + e.getMessage(), e);
    }
    LOG.info("replica released instance={} replica={}", context.instanceId(), replicaId);
  }

  // ---- replica ----

  /**
   * With the server stopped, after the restore of the source's backup: persists the role and the
   * replication password, and writes {@code standby.signal} and {@code primary_conninfo}. The
   * restore left the admin role as the source's; it stays so.
   */
  void configureReplica(ReplicaSetup setup) {
    server.saveReplicationPassword(checkCredentials(setup.credentials()));
    server.changeRole(PostgresRole.replicaOf(setup));
    server.markAdminPasswordForeign(true);
    server.writeConfiguration();
    server.dropInstanceSettingsFromAutoConf();
    LOG.info(
        "replica configured instance={} source={} {}:{}",
        context.instanceId(),
        setup.sourceId(),
        setup.sourceHost(),
        setup.sourcePort());
  }

  /** The server started as a standby on its own; this waits until its WAL receiver streams. */
  void startReplica(ReplicaSetup setup) {
    awaitStreaming(setup);
  }

  ReplicationStatus replicationStatus() {
    PostgresRole role = server.role();
    try (Connection c = server.connectBriefly();
        Statement s = c.createStatement()) {
      s.setQueryTimeout(5);
      try (ResultSet rs =
          s.executeQuery(
              "SELECT pg_is_in_recovery(),"
                  + " CASE WHEN pg_is_in_recovery()"
                  + " THEN greatest(pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn())"
                  + " ELSE pg_current_wal_lsn() END::text,"
                  + " pg_last_wal_replay_lsn()::text,"
                  + " (SELECT status FROM pg_stat_wal_receiver LIMIT 1),"
                  + " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8")) {
        rs.next();
        boolean inRecovery = rs.getBoolean(1);
        // A replica's position is what it holds on disk, replayed or not: a promotion replays
        // everything received first, and a synchronous commit was acknowledged once received.
        String position = rs.getString(2);
        String replayed = rs.getString(3);
        boolean streaming = "streaming".equals(rs.getString(4));
        double sinceReplay = rs.getDouble(5);
        boolean replayedAnything = !rs.wasNull();
        if (!inRecovery) {
          matchSynchronousStandbys(c, role.synchronous());
          return new ReplicationStatus(
              ReplicationStatus.PRIMARY, null, false, null, position, lsn(position));
        }
        if (!role.isReplica()) {
          // Fenced, or a primary still in recovery: read-only and following nobody.
          return new ReplicationStatus(
              ReplicationStatus.FENCED, null, false, null, position, lsn(position));
        }
        Double lag = null;
        if (position != null && position.equals(replayed)) {
          lag = 0.0; // everything received is replayed: caught up as far as it knows
        } else if (replayedAnything) {
          lag = Math.max(0.0, sinceReplay);
        }
        return new ReplicationStatus(
            ReplicationStatus.REPLICA, role.sourceHost(), streaming, lag, position, lsn(position));
      }
    } catch (SQLException e) {
      throw EngineException.failure("cannot read the replication status: " + e.getMessage(), e);
    }
  }

  /**
   * A synchronous set's primary waits for one standby ({@code ANY 1 (*)}) only while one streams,
   * and commits alone otherwise: like MariaDB's semi-synchronous fallback, a set whose last replica
   * is gone keeps taking writes instead of blocking every commit. Checked with every heartbeat, so
   * a commit may wait about a second for a replica that has just died.
   */
  private void matchSynchronousStandbys(Connection c, boolean synchronous) {
    try (Statement s = c.createStatement()) {
      s.setQueryTimeout(5);
      String wanted = "";
      if (synchronous) {
        try (ResultSet rs =
            s.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) {
          rs.next();
          wanted = rs.getLong(1) > 0 ? SYNCHRONOUS_STANDBYS : "";
        }
      }
      String current;
      try (ResultSet rs = s.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
        rs.next();
        current = rs.getString(1);
      }
      if (!wanted.equals(current)) {
        s.execute("ALTER SYSTEM SET synchronous_standby_names = '" + wanted + "'");
        s.execute("SELECT pg_reload_conf()");
        LOG.info(
            "synchronous standbys instance={} synchronous_standby_names='{}'",
            context.instanceId(),
            wanted);
      }
    } catch (SQLException e) {
      // Not the admin (mid-promote): the next heartbeat tries again.
      LOG.debug("cannot match synchronous standbys: {}", e.getMessage());
    }
  }

  // ---- role changes ----

  /**
   * Ends recovery ({@code pg_ctl promote --wait}), then persists the primary role, gives the admin
   * role this instance's password if it is another's, and checkpoints, so that the control file
   * shows the new timeline to pg_rewind on a former primary. Idempotent.
   */
  void promote() {
    if (server.pid().isEmpty()) {
      server.start();
    }
    if (inRecovery()) {
      // Not before: the server deletes standby.signal itself when it ends recovery, and fails if
      // it is already gone. A crash after this and before the role is saved restarts it as a
      // replica; the re-sent promote promotes it again.
      server.pgCtl("promote", "--wait", "--timeout=120");
    }
    server.changeRole(server.role().promoted());
    server.writeConfiguration();
    server.reload();
    // The data may carry its old primary's synchronous_standby_names: with no standby streaming
    // yet, the commits below would wait forever. The heartbeat sets it again once one streams.
    server.runAsAdmin(
        "ALTER SYSTEM SET synchronous_standby_names = '';\nSELECT pg_reload_conf();\n");
    if (server.isAdminPasswordForeign()) {
      server.resetAdminPasswordOnline();
    }
    server.runAsAdmin("CHECKPOINT;\n");
    LOG.info("promoted to primary instance={}", context.instanceId());
  }

  /**
   * Restarts the server in standby mode with no source: it refuses writes (no client can turn that
   * off) and replicates from nobody. Persisted first, so every later start comes up fenced. A clean
   * shutdown of a primary first sends all its WAL to the connected replicas. Idempotent.
   */
  void fence() {
    PostgresRole role = server.role();
    if (role.role().equals(ReplicationStatus.FENCED) && server.pid().isPresent() && inRecovery()) {
      return;
    }
    server.changeRole(role.fenced());
    server.stop();
    server.start();
    LOG.info("fenced instance={}", context.instanceId());
  }

  /**
   * Becomes a replica of {@code setup}'s source: stops, rewinds whatever diverged from the source
   * ({@code pg_rewind} says when nothing did), gives back this instance's own configuration files
   * (pg_rewind copies the source's), starts in standby mode and waits until it streams. The source
   * holds a slot named after this instance (prepareSource). Idempotent.
   */
  void repoint(ReplicaSetup setup) {
    String password = checkCredentials(setup.credentials());
    PostgresRole target = PostgresRole.replicaOf(setup);
    if (target.equals(server.role()) && server.pid().isPresent() && isStreaming()) {
      return;
    }
    server.saveReplicationPassword(password);
    server.changeRole(target);
    server.stop();
    server.writeConfiguration(); // the password file pg_rewind reads
    rewind(setup);
    // The data is (or will be, once replayed) the source's, admin role included.
    server.markAdminPasswordForeign(true);
    server.writeConfiguration();
    server.dropInstanceSettingsFromAutoConf();
    server.start();
    dropLeftoverSlots();
    awaitStreaming(setup);
    LOG.info(
        "repointed instance={} source={} {}:{}",
        context.instanceId(),
        setup.sourceId(),
        setup.sourceHost(),
        setup.sourcePort());
  }

  private void rewind(ReplicaSetup setup) {
    String source =
        "host=%s port=%d user=%s dbname=postgres passfile=%s sslmode=disable connect_timeout=10"
            .formatted(
                PostgresConfig.conninfoValue(setup.sourceHost()),
                setup.sourcePort(),
                REPLICATION_USER,
                PostgresConfig.conninfoValue(
                    PostgresConfig.replicationPassFile(context).toString()));
    String output =
        OsProcesses.run(
            List.of(
                context.binary("pg_rewind"),
                "--target-pgdata=" + context.dataDir(),
                "--source-server=" + source),
            context.runAsUser(),
            Duration.ofMinutes(30),
            Map.of("LC_ALL", "C", "PGOPTIONS", PostgresConfig.AGENT_SESSION_OPTIONS));
    LOG.info(
        "pg_rewind done instance={} source={} result=\"{}\"",
        context.instanceId(),
        setup.sourceId(),
        output.contains("no rewind required") ? "no rewind required" : "rewound");
  }

  /** A former primary keeps the slots of its former replicas; they would hold its WAL forever. */
  private void dropLeftoverSlots() {
    try (Connection c = server.connect("postgres");
        Statement s = c.createStatement()) {
      s.executeQuery(
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                  + " WHERE NOT active")
          .close();
    } catch (SQLException e) {
      LOG.warn(
          "cannot drop leftover replication slots instance={}: {}",
          context.instanceId(),
          e.getMessage());
    }
  }

  // ---- helpers ----

  private boolean inRecovery() {
    try (Connection c = server.connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
      rs.next();
      return rs.getBoolean(1);
    } catch (SQLException e) {
      throw EngineException.failure("cannot read the recovery state: " + e.getMessage(), e);
    }
  }

  private boolean isStreaming() {
    try (Connection c = server.connectBriefly();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT status FROM pg_stat_wal_receiver WHERE status = 'streaming'")) {
      return rs.next();
    } catch (SQLException e) {
      return false;
    }
  }

  private void awaitStreaming(ReplicaSetup setup) {
    long deadline = System.nanoTime() + STREAMING_DEADLINE.toNanos();
    while (!isStreaming()) {
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "the replica does not stream from "
                + setup.sourceHost()
                + ":"
                + setup.sourcePort()
                + " after "
                + STREAMING_DEADLINE.toSeconds()
                + " s; see the PostgreSQL log");
      }
      pause();
    }
  }

  private static String checkCredentials(ReplicationCredentials credentials) {
    if (credentials == null || credentials.password() == null || credentials.password().isEmpty()) {
      throw EngineException.badRequest("The replication credentials need a password.");
    }
    if (credentials.user() != null && !credentials.user().equals(REPLICATION_USER)) {
      throw EngineException.badRequest(
          "The PostgreSQL replication account is " + REPLICATION_USER + ".");
    }
    return credentials.password();
  }

  /** An LSN {@code hi/lo} as one number: bytes into the WAL, growing across timelines. */
  static long lsn(String text) {
    if (text == null) {
      return 0;
    }
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for replication", e);
    }
  }
}

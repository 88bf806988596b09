package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GTID replication of the MySQL family, for {@link MariaDbEngine}. Every statement comes from the
 * {@link SqlDialect}; this class holds the order of the steps and what survives a restart.
 *
 * <p>Roles: a primary accepts writes; a replica follows its source read-only; a fenced server
 * refuses writes and follows nobody. The role lives in {@link ReplicationState} (and through it in
 * the server's configuration), the source's address and credentials in the server's own replica
 * settings, so that a replica restarts as the same replica.
 *
 * <p>Read-only stops accounts without MariaDB's {@code READ ONLY ADMIN} privilege. {@code GRANT
 * ALL} includes it, so the tenant's root (and any account a root granted everything) loses it on
 * the primary (a binlogged change, so every member agrees); the agent's own account keeps it and is
 * careful never to write on a read-only server.
 */
final class MariaDbReplication {

  /** The replication account's name, reserved. */
  static final String REPLICATION_USER = "os_repl";

  /** Key of the backup manifest's position map holding the GTID set the backup ends at. */
  static final String BACKUP_GTID = MariaDbEngine.BINLOG_GTID;

  /** How long a promotion waits for the relay log received from a dead source to be applied. */
  private static final int APPLY_WAIT_SECONDS = 30;

  private static final Logger LOG = LoggerFactory.getLogger(MariaDbReplication.class);
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.:-]{1,255}");
  private static final Pattern GRANTEE = Pattern.compile("'((?:[^']|'')*)'@'((?:[^']|'')*)'");
  // server threads and the agent's own sessions survive a fence; tenants' do not
  private static final Set<String> SERVER_USERS = Set.of("system user", "event_scheduler");
  private static final Set<String> SERVER_COMMANDS =
      Set.of("Binlog Dump", "Binlog Dump GTID", "Daemon", "Slave_IO", "Slave_SQL", "Slave_worker");

  /** Opens a connection as the agent's admin account. */
  @FunctionalInterface
  interface AdminConnections {
    Connection open(Duration connectTimeout, Duration socketTimeout) throws SQLException;
  }

  @FunctionalInterface
  private interface SqlWork {
    void run(Connection c) throws SQLException;
  }

  private final EngineContext context;
  private final String datastore;
  private final SqlDialect dialect;
  private final AdminConnections admin;
  private final Runnable writeConfig;
  private final BooleanSupplier running;

  MariaDbReplication(
      EngineContext context,
      String datastore,
      SqlDialect dialect,
      AdminConnections admin,
      Runnable writeConfig,
      BooleanSupplier running) {
    this.context = context;
    this.datastore = datastore;
    this.dialect = dialect;
    this.admin = admin;
    this.writeConfig = writeConfig;
    this.running = running;
  }

  ReplicationState state() {
    return ReplicationState.load(context.agentDir());
  }

  // ---- source side -----------------------------------------------------------------------

  /**
   * Creates (or re-passwords) the replication account, takes the read-only bypass from every tenant
   * account, and turns semi-synchronous commits on or off. All of it is written to the binary log,
   * so replicas made from a later backup, or reached later by replication, have the same account
   * and grants. Returns no positions: the replica starts from its backup's GTID.
   */
  Map<String, String> prepareSource(SourceRequest request) {
    ReplicationState state = state();
    if (state.readOnly()) {
      throw EngineException.conflict(
          "Only a primary serves replicas; this instance is " + state.role() + ".");
    }
    requireRunning();
    ReplicationCredentials credentials = requireCredentials(request.credentials());
    UserRef account = new UserRef(credentials.user(), "%");
    withAdmin(
        "preparing the replication source",
        c -> {
          MariaDbEngine.executeWithPassword(
              c, dialect.createReplicationUser(account), credentials.password());
          MariaDbEngine.executeWithPassword(
              c, dialect.setPassword(account), credentials.password());
          execute(c, List.of(dialect.grantReplication(account)));
          denyReadOnlyBypass(c);
          execute(c, dialect.setSemiSync(request.synchronous(), false));
        });
    state.withSynchronous(request.synchronous()).save(context.agentDir());
    writeConfig.run();
    LOG.info(
        "engine={} instance={} event=source-prepared replica={} synchronous={}",
        datastore,
        context.instanceId(),
        request.replicaId(),
        request.synchronous());
    return Map.of();
  }

  /** A MariaDB source keeps nothing per replica (no slots): there is nothing to forget. */
  void releaseReplica(String replicaId) {
    LOG.info(
        "engine={} instance={} event=replica-released replica={}",
        datastore,
        context.instanceId(),
        replicaId);
  }

  /**
   * Revokes the privilege that writes through read-only from every account but the agent's and the
   * server's own; on MySQL, {@code super_read_only} makes this unnecessary.
   */
  private void denyReadOnlyBypass(Connection c) throws SQLException {
    Optional<String> privilege = dialect.readOnlyBypassPrivilege();
    if (privilege.isEmpty()) {
      return;
    }
    List<UserRef> holders = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT GRANTEE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = ?")) {
      ps.setString(1, privilege.get());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Matcher m = GRANTEE.matcher(rs.getString(1));
          if (m.matches()) {
            holders.add(new UserRef(m.group(1).replace("''", "'"), m.group(2).replace("''", "'")));
          }
        }
      }
    }
    for (UserRef holder : holders) {
      if (!holder.name().equals(MariaDbEngine.ADMIN_USER) && !holder.name().equals("mariadb.sys")) {
        execute(c, dialect.denyReadOnlyBypass(holder).stream().toList());
      }
    }
  }

  // ---- replica side ----------------------------------------------------------------------

  /**
   * With the server stopped after the restore: records the replica role, so that the server's first
   * start is already read-only and semi-synchronous if asked.
   */
  void configureReplica(ReplicaSetup setup) {
    requireSetup(setup);
    replicaState(setup).save(context.agentDir());
    writeConfig.run();
    if (running.getAsBoolean()) {
      withAdmin("making the server read-only", c -> setReadOnly(c, true));
    }
    LOG.info(
        "engine={} instance={} event=replica-configured source={}",
        datastore,
        context.instanceId(),
        setup.sourceId());
  }

  /**
   * Starts replicating from right after the backup's GTID set ({@value #BACKUP_GTID} in {@link
   * ReplicaSetup#positions()}). A re-sent command finds the replica already following the same
   * source and leaves it alone; one that meets a stopped replica starts it again from where it is,
   * never from the older backup position.
   */
  void startReplica(ReplicaSetup setup) {
    requireSetup(setup);
    requireRunning();
    String gtid = setup.positions().get(BACKUP_GTID);
    if (gtid != null && !dialect.isGtidSet(gtid)) {
      throw EngineException.badRequest("The position " + BACKUP_GTID + " is not a GTID set.");
    }
    ReplicationState before = state();
    replicaState(setup).save(context.agentDir());
    writeConfig.run();
    withAdmin(
        "starting replication",
        c -> {
          setReadOnly(c, true);
          Optional<Map<String, String>> status = replicaStatus(c);
          if (alreadyFollowing(before, status, setup)) {
            return;
          }
          if (status.isEmpty() && gtid == null) {
            throw EngineException.badRequest(
                "A new replica needs the GTID set its backup ends at (position "
                    + BACKUP_GTID
                    + ").");
          }
          resetReplica(c, status);
          if (gtid != null && progress(c) < dialect.progress(List.of(gtid))) {
            execute(c, dialect.startFrom(gtid));
          }
          execute(c, dialect.setSemiSync(false, setup.synchronous()));
          follow(c, setup, false);
        });
    LOG.info(
        "engine={} instance={} event=replica-started source={} host={}:{} gtid={}",
        datastore,
        context.instanceId(),
        setup.sourceId(),
        setup.sourceHost(),
        setup.sourcePort(),
        gtid);
  }

  /**
   * Makes a running server (a replica, a fenced former primary, or a primary being demoted) a
   * replica of another source, from its own GTID position: a former primary asks for what follows
   * its own last transaction, which the new source (a replica of it until then) has in its binary
   * log. A server that wrote transactions the new source never received (a primary that died with
   * unreplicated commits) cannot rejoin this way: its receiving thread stops with an error saying
   * so, and it is rebuilt from a backup.
   */
  void repoint(ReplicaSetup setup) {
    requireSetup(setup);
    requireRunning();
    ReplicationState before = state();
    replicaState(setup).save(context.agentDir());
    writeConfig.run();
    withAdmin(
        "repointing replication",
        c -> {
          setReadOnly(c, true);
          if (!before.replica()) {
            killClientConnections(c);
          }
          Optional<Map<String, String>> status = replicaStatus(c);
          if (alreadyFollowing(before, status, setup)) {
            return;
          }
          resetReplica(c, status);
          execute(c, dialect.setSemiSync(false, setup.synchronous()));
          follow(c, setup, true);
        });
    LOG.info(
        "engine={} instance={} event=repointed source={} host={}:{} was={}",
        datastore,
        context.instanceId(),
        setup.sourceId(),
        setup.sourceHost(),
        setup.sourcePort(),
        before.role());
  }

  /**
   * Applies what the replica already received (up to {@value #APPLY_WAIT_SECONDS} s: a dead
   * source's last transactions are in the relay log), forgets the source, and only then, with the
   * primary role recorded, accepts writes.
   */
  void promote() {
    requireRunning();
    ReplicationState state = state();
    withAdmin(
        "promoting",
        c -> {
          Optional<Map<String, String>> status = replicaStatus(c);
          if (status.isPresent()) {
            SqlDialect.ReplicaStatusColumns columns = dialect.replicaStatusColumns();
            execute(c, List.of(dialect.stopReceiving()));
            status = replicaStatus(c);
            String received = status.map(s -> s.get(columns.received())).orElse(null);
            if (status.isPresent()
                && "Yes".equalsIgnoreCase(status.get().get(columns.applying()))
                && received != null
                && !received.isBlank()) {
              awaitApplied(c, received);
            }
            resetReplica(c, status);
          }
          execute(c, dialect.setSemiSync(state.synchronous(), false));
        });
    state.asPrimary().save(context.agentDir());
    writeConfig.run();
    withAdmin("accepting writes", c -> setReadOnly(c, false));
    LOG.info(
        "engine={} instance={} event=promoted was={}",
        datastore,
        context.instanceId(),
        state.role());
  }

  /**
   * Records the fenced role first (a crash from here on restarts read-only), then refuses writes,
   * stops following any source, and ends every tenant session, so that an open one cannot commit
   * what it started. Replicas keep reading this server's binary log to catch up with it.
   */
  void fence() {
    ReplicationState state = state();
    state.asFenced().save(context.agentDir());
    writeConfig.run();
    if (running.getAsBoolean()) {
      withAdmin(
          "fencing",
          c -> {
            setReadOnly(c, true);
            resetReplica(c, replicaStatus(c));
            execute(c, dialect.setSemiSync(false, false));
            killClientConnections(c);
          });
    }
    LOG.info(
        "engine={} instance={} event=fenced was={} running={}",
        datastore,
        context.instanceId(),
        state.role(),
        running.getAsBoolean());
  }

  /** Two short queries on a connection with short timeouts: cheap enough for every heartbeat. */
  ReplicationStatus status() {
    ReplicationState state = state();
    try (Connection c = admin.open(Duration.ofSeconds(2), Duration.ofSeconds(3))) {
      List<String> positions = positions(c);
      long progress = dialect.progress(positions);
      String position = positions.isEmpty() ? "" : String.valueOf(positions.get(0));
      if (!state.replica()) {
        return new ReplicationStatus(state.role(), null, false, null, position, progress);
      }
      SqlDialect.ReplicaStatusColumns columns = dialect.replicaStatusColumns();
      Optional<Map<String, String>> status = replicaStatus(c);
      boolean connected =
          status.map(s -> "Yes".equalsIgnoreCase(s.get(columns.receiving()))).orElse(false);
      Double lag =
          status
              .map(s -> s.get(columns.secondsBehind()))
              .filter(s -> !s.isBlank())
              .map(Double::valueOf)
              .orElse(null);
      return new ReplicationStatus(
          state.role(), state.sourceHost(), connected, lag, position, progress);
    } catch (SQLException e) {
      throw EngineException.failure("reading the replication status failed: " + e.getMessage(), e);
    }
  }

  // ---- steps -----------------------------------------------------------------------------

  private void follow(Connection c, ReplicaSetup setup, boolean ownHistory) throws SQLException {
    MariaDbEngine.executeWithPassword(
        c,
        dialect.changeSource(
            setup.sourceHost(), setup.sourcePort(), setup.credentials().user(), ownHistory),
        setup.credentials().password());
    execute(c, List.of(dialect.startReplica()));
  }

  private void resetReplica(Connection c, Optional<Map<String, String>> status)
      throws SQLException {
    if (status.isPresent()) {
      execute(c, List.of(dialect.stopReplica(), dialect.resetReplica()));
    }
  }

  /**
   * Read-only waits for running statements and commits; a tenant's statement that holds it up is
   * ended rather than waited for.
   */
  private void setReadOnly(Connection c, boolean readOnly) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET SESSION lock_wait_timeout = 5");
    }
    try {
      execute(c, dialect.setReadOnly(readOnly));
    } catch (SQLException e) {
      if (!readOnly) {
        throw e;
      }
      LOG.warn(
          "instance={} read-only waited too long ({}); ending client sessions first",
          context.instanceId(),
          e.getMessage());
      killClientConnections(c);
      execute(c, dialect.setReadOnly(true));
    }
  }

  private void killClientConnections(Connection c) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST"
                    + " WHERE ID <> CONNECTION_ID()")) {
      while (rs.next()) {
        String user = rs.getString(2);
        if (!MariaDbEngine.ADMIN_USER.equals(user)
            && !REPLICATION_USER.equals(user)
            && !SERVER_USERS.contains(user)
            && !SERVER_COMMANDS.contains(rs.getString(3))) {
          ids.add(rs.getLong(1));
        }
      }
    }
    for (long id : ids) {
      try (Statement s = c.createStatement()) {
        s.execute(dialect.killConnection(id));
      } catch (SQLException gone) {
        // the session ended by itself meanwhile
      }
    }
    if (!ids.isEmpty()) {
      LOG.info(
          "engine={} instance={} event=client-sessions-ended count={}",
          datastore,
          context.instanceId(),
          ids.size());
    }
  }

  private void awaitApplied(Connection c, String received) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(dialect.awaitApplied(received, APPLY_WAIT_SECONDS))) {
      if (rs.next() && rs.getInt(1) != 0) {
        LOG.warn(
            "instance={} event=promote-apply-incomplete received={} waited={}s",
            context.instanceId(),
            received,
            APPLY_WAIT_SECONDS);
      }
    }
  }

  private List<String> positions(Connection c) throws SQLException {
    List<String> positions = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(dialect.positionQuery())) {
      if (rs.next()) {
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          positions.add(rs.getString(i));
        }
      }
    }
    return positions;
  }

  private long progress(Connection c) throws SQLException {
    return dialect.progress(positions(c));
  }

  /** The row of the replica status, by the columns this class reads; empty if no source is set. */
  private Optional<Map<String, String>> replicaStatus(Connection c) throws SQLException {
    SqlDialect.ReplicaStatusColumns columns = dialect.replicaStatusColumns();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(dialect.showReplicaStatus())) {
      if (!rs.next()) {
        return Optional.empty();
      }
      Map<String, String> row = new HashMap<>();
      for (String column :
          List.of(
              columns.sourceHost(),
              columns.sourcePort(),
              columns.receiving(),
              columns.applying(),
              columns.secondsBehind(),
              columns.received(),
              columns.lastReceiveError())) {
        row.put(column, rs.getString(column));
      }
      return Optional.of(row);
    }
  }

  /**
   * A re-sent command: the server already follows this source, both threads run, and semi-sync is
   * as asked (the replica side takes effect only when its receiving thread connects).
   */
  private boolean alreadyFollowing(
      ReplicationState before, Optional<Map<String, String>> status, ReplicaSetup setup) {
    return before.replica()
        && before.synchronous() == setup.synchronous()
        && status.isPresent()
        && follows(status.get(), setup)
        && replicating(status.get());
  }

  private boolean follows(Map<String, String> status, ReplicaSetup setup) {
    SqlDialect.ReplicaStatusColumns columns = dialect.replicaStatusColumns();
    return setup.sourceHost().equals(status.get(columns.sourceHost()))
        && String.valueOf(setup.sourcePort()).equals(status.get(columns.sourcePort()));
  }

  private boolean replicating(Map<String, String> status) {
    SqlDialect.ReplicaStatusColumns columns = dialect.replicaStatusColumns();
    return !"No".equalsIgnoreCase(status.get(columns.receiving()))
        && "Yes".equalsIgnoreCase(status.get(columns.applying()));
  }

  private static ReplicationState replicaState(ReplicaSetup setup) {
    return ReplicationState.replicaOf(
        setup.sourceId(), setup.sourceHost(), setup.sourcePort(), setup.synchronous());
  }

  // ---- checks and helpers ------------------------------------------------------------------

  private void requireRunning() {
    if (!running.getAsBoolean()) {
      throw EngineException.failure("the server is not running");
    }
  }

  private static void requireSetup(ReplicaSetup setup) {
    if (setup == null
        || setup.sourceHost() == null
        || !HOST.matcher(setup.sourceHost()).matches()) {
      throw EngineException.badRequest("The replica setup needs a valid source host.");
    }
    if (setup.sourcePort() < 1 || setup.sourcePort() > 65535) {
      throw EngineException.badRequest("The replica setup needs a source port from 1 to 65535.");
    }
    requireCredentials(setup.credentials());
  }

  private static ReplicationCredentials requireCredentials(ReplicationCredentials credentials) {
    if (credentials == null
        || credentials.user() == null
        || Names.user(80).violation(credentials.user()).isPresent()
        || credentials.password() == null
        || credentials.password().isEmpty()) {
      throw EngineException.badRequest(
          "Replication needs credentials: a valid account name and a password.");
    }
    return credentials;
  }

  private static void execute(Connection c, List<String> statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private void withAdmin(String what, SqlWork work) {
    try (Connection c = admin.open(Duration.ofSeconds(5), Duration.ofSeconds(120))) {
      work.run(c);
    } catch (SQLException e) {
      throw EngineException.failure(
          what + " failed: " + e.getMessage() + " (error " + e.getErrorCode() + ")", e);
    }
  }
}

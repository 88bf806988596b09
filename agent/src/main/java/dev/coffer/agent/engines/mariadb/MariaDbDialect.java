package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** MariaDB 10.4 and later. */
final class MariaDbDialect implements SqlDialect {

  @Override
  public String createUser(UserRef user) {
    return "CREATE USER " + Sql.account(user) + " IDENTIFIED BY ?";
  }

  @Override
  public String setPassword(UserRef user) {
    return "ALTER USER " + Sql.account(user) + " IDENTIFIED BY ?";
  }

  @Override
  public String listAccounts() {
    // mysql.user is a view over mysql.global_priv that also lists roles (PUBLIC among them)
    return "SELECT User, Host FROM mysql.user WHERE is_role = 'N'";
  }

  @Override
  public List<String> bootstrap(List<UserRef> admins, String password) {
    List<String> statements = new ArrayList<>();
    // The agent's own accounts are this instance's, not data: kept out of the binary log, a
    // point-in-time restore elsewhere never replays this instance's admin password.
    statements.add("SET sql_log_bin = 0;");
    for (UserRef admin : admins) {
      String account = Sql.account(admin);
      String identified = " IDENTIFIED BY " + Sql.literal(password);
      statements.add("CREATE USER IF NOT EXISTS " + account + identified + ";");
      statements.add("ALTER USER " + account + identified + ";");
      statements.add(grantSuperuser(admin) + ";");
    }
    return statements;
  }

  @Override
  public List<String> serverOptions() {
    return List.of();
  }

  @Override
  public boolean archivesBinaryLog() {
    return true;
  }

  @Override
  public List<String> initializeCommand(
      Map<String, String> binaries, Path defaultsFile, Path dataDir) {
    return List.of(
        binaries.get("install_db"),
        "--defaults-file=" + defaultsFile,
        "--datadir=" + dataDir,
        // root@localhost then logs in only as the OS root user over the socket, never by password
        "--auth-root-authentication-method=socket",
        "--skip-test-db");
  }

  @Override
  public Map<String, String> connectionProperties() {
    return Map.of();
  }

  // ---- replication ------------------------------------------------------------------------

  private static final Pattern GTID_LIST =
      Pattern.compile("\\d{1,10}-\\d{1,10}-\\d{1,20}(,\\s*\\d{1,10}-\\d{1,10}-\\d{1,20})*");
  private static final Pattern DOMAIN_ZERO = Pattern.compile("(?:^|,)\\s*0-\\d+-(\\d+)");

  @Override
  public List<String> replicationOptions(long serverId) {
    return List.of(
        "server_id=" + serverId,
        "log_slave_updates=ON",
        // a server refuses to write a GTID out of order and a replica stops rather than apply a
        // transaction twice or skip one: a member that diverged says so instead of drifting, and
        // the sequence number (the set's progress) only grows
        "gtid_strict_mode=ON",
        // named after the instance's data, not the host name, which differs after a move
        "relay_log=relay-bin",
        // a replica notices a dead source within seconds (heartbeats every half of this)
        "slave_net_timeout=10");
  }

  @Override
  public List<String> readOnlyOptions() {
    return List.of("read_only=ON");
  }

  @Override
  public List<String> semiSyncOptions(boolean primary) {
    return primary
        ? List.of(
            "rpl_semi_sync_master_enabled=ON",
            "rpl_semi_sync_master_timeout=" + SEMI_SYNC_TIMEOUT_MS,
            "rpl_semi_sync_master_wait_point=AFTER_SYNC",
            "rpl_semi_sync_master_wait_no_slave=OFF")
        : List.of("rpl_semi_sync_slave_enabled=ON");
  }

  @Override
  public List<String> setReadOnly(boolean readOnly) {
    return List.of("SET GLOBAL read_only = " + onOff(readOnly));
  }

  @Override
  public List<String> setSemiSync(boolean primary, boolean replica) {
    return List.of(
        "SET GLOBAL rpl_semi_sync_master_timeout = " + SEMI_SYNC_TIMEOUT_MS,
        // the primary acknowledges a commit only once a replica has it, and nobody sees the
        // commit before that: a failover to that replica loses nothing anyone saw
        "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC",
        // with no replica connected (a primary just promoted, before the others follow it) a
        // commit does not wait out the timeout: there is nobody to wait for
        "SET GLOBAL rpl_semi_sync_master_wait_no_slave = OFF",
        "SET GLOBAL rpl_semi_sync_master_enabled = " + onOff(primary),
        "SET GLOBAL rpl_semi_sync_slave_enabled = " + onOff(replica));
  }

  @Override
  public String createReplicationUser(UserRef user) {
    return "CREATE USER IF NOT EXISTS " + Sql.account(user) + " IDENTIFIED BY ?";
  }

  @Override
  public Optional<String> readOnlyBypassPrivilege() {
    return Optional.of("READ ONLY ADMIN");
  }

  @Override
  public String changeSource(String host, int port, String user, boolean ownHistory) {
    return "CHANGE MASTER TO MASTER_HOST = "
        + Sql.literal(host)
        + ", MASTER_PORT = "
        + port
        + ", MASTER_USER = "
        + Sql.literal(user)
        + ", MASTER_PASSWORD = ?, MASTER_CONNECT_RETRY = 2, MASTER_USE_GTID = "
        + (ownHistory ? "current_pos" : "slave_pos");
  }

  @Override
  public List<String> startFrom(String gtid) {
    return List.of("SET GLOBAL gtid_slave_pos = " + Sql.literal(gtid));
  }

  @Override
  public String startReplica() {
    return "START SLAVE";
  }

  @Override
  public String stopReplica() {
    return "STOP SLAVE";
  }

  @Override
  public String stopReceiving() {
    return "STOP SLAVE IO_THREAD";
  }

  @Override
  public String resetReplica() {
    return "RESET SLAVE ALL";
  }

  @Override
  public String showReplicaStatus() {
    return "SHOW SLAVE STATUS";
  }

  @Override
  public ReplicaStatusColumns replicaStatusColumns() {
    return new ReplicaStatusColumns(
        "Master_Host",
        "Master_Port",
        "Slave_IO_Running",
        "Slave_SQL_Running",
        "Seconds_Behind_Master",
        "Gtid_IO_Pos",
        "Last_IO_Error");
  }

  @Override
  public String awaitApplied(String received, int seconds) {
    return "SELECT MASTER_GTID_WAIT(" + Sql.literal(received) + ", " + seconds + ")";
  }

  @Override
  public String positionQuery() {
    return "SELECT @@GLOBAL.gtid_current_pos, @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_slave_pos";
  }

  /**
   * The sequence number of domain 0 (every transaction of a set is in it): the highest one the
   * server wrote or applied. A promoted replica numbers its own transactions on from there.
   */
  @Override
  public long progress(List<String> positions) {
    long progress = 0;
    for (String position : positions) {
      if (position != null) {
        Matcher m = DOMAIN_ZERO.matcher(position);
        while (m.find()) {
          progress = Math.max(progress, Long.parseLong(m.group(1)));
        }
      }
    }
    return progress;
  }

  @Override
  public boolean isGtidSet(String gtid) {
    return gtid != null && GTID_LIST.matcher(gtid).matches();
  }

  private static String onOff(boolean on) {
    return on ? "ON" : "OFF";
  }
}

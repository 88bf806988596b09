package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Oracle MySQL 8.0 and later. Its default authentication plugin is {@code caching_sha2_password};
 * it is named explicitly so that a server configured with another default still creates accounts
 * that current clients accept.
 */
final class MySqlDialect implements SqlDialect {
  private static final String PLUGIN = " IDENTIFIED WITH caching_sha2_password BY ";

  @Override
  public String createUser(UserRef user) {
    return "CREATE USER " + Sql.account(user) + PLUGIN + "?";
  }

  @Override
  public String setPassword(UserRef user) {
    return "ALTER USER " + Sql.account(user) + PLUGIN + "?";
  }

  @Override
  public String listAccounts() {
    return "SELECT User, Host FROM mysql.user";
  }

  @Override
  public List<String> bootstrap(List<UserRef> admins, String password) {
    List<String> statements = new ArrayList<>();
    // the agent's accounts are this instance's: never in the binary log, so a replica's start
    // adds no transaction of its own to the set's GTIDs
    statements.add("SET sql_log_bin = 0;");
    for (UserRef admin : admins) {
      String account = Sql.account(admin);
      String identified = PLUGIN + Sql.literal(password);
      statements.add("CREATE USER IF NOT EXISTS " + account + identified + ";");
      statements.add("ALTER USER " + account + identified + ";");
      statements.add(grantSuperuser(admin) + ";");
    }
    // --initialize-insecure leaves root@localhost without a password
    statements.add(
        "ALTER USER " + Sql.account(new UserRef("root", "localhost")) + " ACCOUNT LOCK;");
    return statements;
  }

  @Override
  public List<String> serverOptions() {
    // the X Protocol plugin would otherwise listen on a second port (33060) on every address
    return List.of("mysqlx=OFF");
  }

  @Override
  public List<String> initializeCommand(
      Map<String, String> binaries, Path defaultsFile, Path dataDir) {
    return List.of(
        binaries.get("server"),
        "--defaults-file=" + defaultsFile,
        "--datadir=" + dataDir,
        "--initialize-insecure");
  }

  @Override
  public Map<String, String> connectionProperties() {
    // caching_sha2_password over plain TCP needs the server's RSA key on a cold cache
    return Map.of("allowPublicKeyRetrieval", "true");
  }

  // ---- replication (MySQL 8.4 spelling; CHANGE REPLICATION SOURCE needs 8.0.23 or later) -----

  private static final String UUID =
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
  private static final String INTERVALS = "(?::\\d{1,19}(?:-\\d{1,19})?)+";
  private static final Pattern GTID_SET =
      Pattern.compile(UUID + INTERVALS + "(?:,\\s*" + UUID + INTERVALS + ")*");
  private static final Pattern INTERVAL = Pattern.compile(":(\\d+)(?:-(\\d+))?");

  @Override
  public List<String> replicationOptions(long serverId) {
    return List.of(
        "server_id=" + serverId,
        "log_replica_updates=ON",
        "gtid_mode=ON",
        "enforce_gtid_consistency=ON",
        "relay_log=relay-bin",
        "replica_net_timeout=10",
        // loaded always, so that semi-synchronous replication can be turned on at run time
        "plugin-load-add=semisync_source.so",
        "plugin-load-add=semisync_replica.so");
  }

  @Override
  public List<String> readOnlyOptions() {
    // super_read_only also stops accounts with SUPER (root, which has every privilege)
    return List.of("read_only=ON", "super_read_only=ON");
  }

  @Override
  public List<String> semiSyncOptions(boolean primary) {
    return primary
        ? List.of(
            "rpl_semi_sync_source_enabled=ON",
            "rpl_semi_sync_source_timeout=" + SEMI_SYNC_TIMEOUT_MS,
            "rpl_semi_sync_source_wait_point=AFTER_SYNC",
            "rpl_semi_sync_source_wait_for_replica_count=1",
            "rpl_semi_sync_source_wait_no_replica=OFF")
        : List.of("rpl_semi_sync_replica_enabled=ON");
  }

  @Override
  public List<String> setReadOnly(boolean readOnly) {
    return readOnly
        ? List.of("SET GLOBAL super_read_only = ON")
        : List.of("SET GLOBAL super_read_only = OFF", "SET GLOBAL read_only = OFF");
  }

  @Override
  public List<String> setSemiSync(boolean primary, boolean replica) {
    return List.of(
        "SET GLOBAL rpl_semi_sync_source_timeout = " + SEMI_SYNC_TIMEOUT_MS,
        "SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC",
        "SET GLOBAL rpl_semi_sync_source_wait_no_replica = OFF",
        "SET GLOBAL rpl_semi_sync_source_enabled = " + (primary ? "ON" : "OFF"),
        "SET GLOBAL rpl_semi_sync_replica_enabled = " + (replica ? "ON" : "OFF"));
  }

  @Override
  public String createReplicationUser(UserRef user) {
    return "CREATE USER IF NOT EXISTS " + Sql.account(user) + PLUGIN + "?";
  }

  @Override
  public Optional<String> readOnlyBypassPrivilege() {
    return Optional.empty();
  }

  /** Auto-position covers a former primary's own transactions too: they are in gtid_executed. */
  @Override
  public String changeSource(String host, int port, String user, boolean ownHistory) {
    return "CHANGE REPLICATION SOURCE TO SOURCE_HOST = "
        + Sql.literal(host)
        + ", SOURCE_PORT = "
        + port
        + ", SOURCE_USER = "
        + Sql.literal(user)
        + ", SOURCE_PASSWORD = ?, SOURCE_CONNECT_RETRY = 2, SOURCE_AUTO_POSITION = 1"
        // caching_sha2_password without TLS needs the source's RSA key
        + ", GET_SOURCE_PUBLIC_KEY = 1";
  }

  @Override
  public List<String> startFrom(String gtid) {
    // gtid_purged can be set only while gtid_executed is empty (8.0: RESET MASTER)
    return List.of("RESET BINARY LOGS AND GTIDS", "SET GLOBAL gtid_purged = " + Sql.literal(gtid));
  }

  @Override
  public String startReplica() {
    return "START REPLICA";
  }

  @Override
  public String stopReplica() {
    return "STOP REPLICA";
  }

  @Override
  public String stopReceiving() {
    return "STOP REPLICA IO_THREAD";
  }

  @Override
  public String resetReplica() {
    return "RESET REPLICA ALL";
  }

  @Override
  public String showReplicaStatus() {
    return "SHOW REPLICA STATUS";
  }

  @Override
  public ReplicaStatusColumns replicaStatusColumns() {
    return new ReplicaStatusColumns(
        "Source_Host",
        "Source_Port",
        "Replica_IO_Running",
        "Replica_SQL_Running",
        "Seconds_Behind_Source",
        "Retrieved_Gtid_Set",
        "Last_IO_Error");
  }

  @Override
  public String awaitApplied(String received, int seconds) {
    return "SELECT WAIT_FOR_EXECUTED_GTID_SET(" + Sql.literal(received) + ", " + seconds + ")";
  }

  @Override
  public String positionQuery() {
    return "SELECT @@GLOBAL.gtid_executed";
  }

  /**
   * The number of transactions in {@code gtid_executed}: each primary numbers its own from 1 under
   * its server UUID, so only the count of all of them grows across a switchover.
   */
  @Override
  public long progress(List<String> positions) {
    long count = 0;
    if (!positions.isEmpty() && positions.get(0) != null) {
      Matcher m = INTERVAL.matcher(positions.get(0));
      while (m.find()) {
        long from = Long.parseLong(m.group(1));
        long to = m.group(2) == null ? from : Long.parseLong(m.group(2));
        count += to - from + 1;
      }
    }
    return count;
  }

  @Override
  public boolean isGtidSet(String gtid) {
    return gtid != null && GTID_SET.matcher(gtid.strip()).matches();
  }
}

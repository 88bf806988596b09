package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What differs between MariaDB and Oracle MySQL servers: account statements, the system tables that
 * list accounts, server options, and how a data directory is created. Statements that take a
 * password have exactly one {@code ?}, bound by the driver so no password is ever concatenated into
 * SQL (the one exception is {@link #bootstrap}, a file the server reads once at start).
 */
interface SqlDialect {

  /** {@code CREATE USER} with one {@code ?} for the password. */
  String createUser(UserRef user);

  /** Sets a user's password, with one {@code ?} for the password. */
  String setPassword(UserRef user);

  /** A query returning every account as {@code (User, Host)}, roles excluded. */
  String listAccounts();

  /**
   * Statements run from {@code --init-file} on every start: they (re)create the agent's own
   * accounts with {@code password} and close accounts the data-directory tool left open.
   */
  List<String> bootstrap(List<UserRef> admins, String password);

  /** Extra {@code [mysqld]} options only this server understands. */
  List<String> serverOptions();

  /**
   * Whether the server keeps a binary log that the agent archives for point-in-time recovery (see
   * {@link BinaryLogArchive}).
   */
  default boolean archivesBinaryLog() {
    return false;
  }

  /** The command that creates a fresh data directory in {@code dataDir}. */
  List<String> initializeCommand(Map<String, String> binaries, Path defaultsFile, Path dataDir);

  /** Connector/J properties this server needs besides user and password. */
  Map<String, String> connectionProperties();

  default String renameUser(UserRef from, UserRef to) {
    return "RENAME USER " + Sql.account(from) + " TO " + Sql.account(to);
  }

  default String dropUser(UserRef user) {
    return "DROP USER " + Sql.account(user);
  }

  default String grantDatabase(String database, UserRef user) {
    return "GRANT ALL PRIVILEGES ON "
        + Sql.grantedDatabase(database)
        + ".* TO "
        + Sql.account(user);
  }

  default String revokeDatabase(String database, UserRef user) {
    return "REVOKE ALL PRIVILEGES ON "
        + Sql.grantedDatabase(database)
        + ".* FROM "
        + Sql.account(user);
  }

  /** Everything on every database, including the right to grant: what root and the agent get. */
  default String grantSuperuser(UserRef user) {
    return "GRANT ALL PRIVILEGES ON *.* TO " + Sql.account(user) + " WITH GRANT OPTION";
  }

  /** The databases each account may use, as {@code (User, Host, Db)} with Db a grant pattern. */
  default String listDatabaseGrants() {
    return "SELECT User, Host, Db FROM mysql.db";
  }

  /** Character set and collation are validated names; either may be null (server default). */
  default String createDatabase(String database, String characterSet, String collation) {
    return "CREATE DATABASE "
        + Sql.identifier(database)
        + (characterSet == null ? "" : " CHARACTER SET " + characterSet)
        + (collation == null ? "" : " COLLATE " + collation);
  }

  default String dropDatabase(String database) {
    return "DROP DATABASE " + Sql.identifier(database);
  }

  // ---- replication ------------------------------------------------------------------------

  /**
   * {@code [mysqld]} options of every server, so that any instance can join a replication set: a
   * server id of its own, GTIDs, and replicated changes written to its own binary log (a replica
   * promoted later serves the others from it).
   */
  List<String> replicationOptions(long serverId);

  /** {@code [mysqld]} options that refuse client writes from the start (replica, fenced). */
  List<String> readOnlyOptions();

  /** {@code [mysqld]} options of semi-synchronous replication on a primary or on a replica. */
  List<String> semiSyncOptions(boolean primary);

  /** Turns client writes off or on in a running server. */
  List<String> setReadOnly(boolean readOnly);

  /** Turns the primary's and the replica's side of semi-synchronous replication on or off. */
  List<String> setSemiSync(boolean primary, boolean replica);

  /** The semi-synchronous primary's wait for a replica's receipt before it falls back to async. */
  int SEMI_SYNC_TIMEOUT_MS = 2000;

  /**
   * {@code CREATE USER IF NOT EXISTS} of the replication account, one {@code ?} for the password.
   */
  String createReplicationUser(UserRef user);

  /** What the replication account may do: read the binary log, nothing else. */
  default String grantReplication(UserRef user) {
    return "GRANT REPLICATION SLAVE ON *.* TO " + Sql.account(user);
  }

  /**
   * The privilege that lets an account write despite read-only, if the server has one that {@code
   * GRANT ALL} includes (MariaDB's {@code READ ONLY ADMIN}); MySQL's {@code super_read_only} stops
   * every account, so it has none.
   */
  Optional<String> readOnlyBypassPrivilege();

  /** Takes {@link #readOnlyBypassPrivilege()} from {@code user}, if the server has one. */
  default Optional<String> denyReadOnlyBypass(UserRef user) {
    return readOnlyBypassPrivilege()
        .map(privilege -> "REVOKE " + privilege + " ON *.* FROM " + Sql.account(user));
  }

  /**
   * Points the server at a source, one {@code ?} for the password. A replica made from a backup
   * starts where its replication position says; a server that was a primary ({@code ownHistory})
   * also counts the changes it wrote itself.
   */
  String changeSource(String host, int port, String user, boolean ownHistory);

  /** Makes a freshly restored server start replicating right after the backup's GTID set. */
  List<String> startFrom(String gtid);

  String startReplica();

  String stopReplica();

  /** Stops only the receiving side, so that what was received can still be applied. */
  String stopReceiving();

  /** Forgets the source (and its connection settings). */
  String resetReplica();

  String showReplicaStatus();

  /** Column names of {@link #showReplicaStatus()}'s row. */
  ReplicaStatusColumns replicaStatusColumns();

  /** Waits up to {@code seconds} until the GTID set {@code received} is applied. */
  String awaitApplied(String received, int seconds);

  /**
   * A query of one row: the server's replication position for people first, then every GTID set
   * {@link #progress} needs.
   */
  String positionQuery();

  /**
   * The position as a number that only grows across one replication set, also after a switchover,
   * from the columns of {@link #positionQuery()}.
   */
  long progress(List<String> positions);

  /** Whether {@code gtid} is a GTID set of this server's syntax (it is quoted, but checked too). */
  boolean isGtidSet(String gtid);

  default String killConnection(long id) {
    return "KILL CONNECTION " + id;
  }

  /** The names of {@code SHOW SLAVE STATUS} / {@code SHOW REPLICA STATUS} columns. */
  record ReplicaStatusColumns(
      String sourceHost,
      String sourcePort,
      String receiving,
      String applying,
      String secondsBehind,
      String received,
      String lastReceiveError) {}
}

package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
}

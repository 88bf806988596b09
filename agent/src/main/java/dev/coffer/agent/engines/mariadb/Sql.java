package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;

/**
 * Quoting for the MySQL family. Names reach here already validated against the datastore's name
 * rules; quoting is still complete so that a validation mistake cannot become an injection.
 */
final class Sql {
  private Sql() {}

  /** A backtick-quoted identifier (database, user name). */
  static String identifier(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /** A single-quoted string literal (host patterns, passwords in bootstrap files). */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
  }

  /** {@code `name`@'host'}. */
  static String account(UserRef user) {
    return identifier(user.name()) + "@" + literal(user.host());
  }

  /**
   * A database name as GRANT and REVOKE take it, quoted. There {@code _} and {@code %} are
   * wildcards, so a grant on {@code app_one} would also open {@code appXone}; escaping them makes a
   * grant name exactly one database.
   */
  static String grantedDatabase(String database) {
    return identifier(grantPattern(database));
  }

  /** The escaped name as the server stores it in {@code mysql.db}. */
  static String grantPattern(String database) {
    return database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%");
  }

  /** The database name back from a {@code mysql.db} row written by {@link #grantedDatabase}. */
  static String ungrantPattern(String pattern) {
    StringBuilder name = new StringBuilder(pattern.length());
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length()) {
        c = pattern.charAt(++i);
      }
      name.append(c);
    }
    return name.toString();
  }
}

package dev.coffer.agent.engines.mariadb;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@code mariadbd --version} or {@code mysqld --version} line says. Debian installs
 * MariaDB's server as {@code mysqld} too, so the binary's name does not tell the two apart; the
 * output does: MariaDB always writes {@code -MariaDB} after its version number, while Oracle MySQL
 * (or Percona) writes a bare 5.x, 8.x or 9.x version.
 *
 * @param full the version as the server writes it, for example {@code 10.11.6-MariaDB-0+deb12u1}
 * @param major first number
 * @param minor second number
 * @param mariaDb true for MariaDB, false for MySQL
 */
record ServerVersion(String full, int major, int minor, boolean mariaDb) {
  private static final Pattern VERSION =
      Pattern.compile("\\bVer\\s+((\\d+)\\.(\\d+)\\.(\\d+)(\\S*))", Pattern.CASE_INSENSITIVE);

  private static final Pattern BUILT_FROM =
      Pattern.compile("\\bbased on MariaDB server ((\\d+)\\.(\\d+)\\.(\\d+)(\\S*))");

  /** The version clients choose, for example {@code 10.11} or {@code 8.0}. */
  String name() {
    return major + "." + minor;
  }

  /** Parses {@code --version} output; empty if it is not a MySQL-family server. */
  static Optional<ServerVersion> parse(String output) {
    Matcher m = VERSION.matcher(output);
    if (!m.find()) {
      return Optional.empty();
    }
    String full = m.group(1);
    int major = Integer.parseInt(m.group(2));
    int minor = Integer.parseInt(m.group(3));
    boolean mariaDb = output.toLowerCase(Locale.ROOT).contains("mariadb");
    if (!mariaDb && major != 5 && major != 8 && major != 9) {
      return Optional.empty();
    }
    return Optional.of(new ServerVersion(full, major, minor, mariaDb));
  }

  /**
   * The server a MariaDB tool such as {@code mariadb-backup --version} says it was built from;
   * empty if the output names none.
   */
  static Optional<ServerVersion> parseToolBuild(String output) {
    Matcher m = BUILT_FROM.matcher(output);
    if (!m.find()) {
      return Optional.empty();
    }
    return Optional.of(
        new ServerVersion(
            m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), true));
  }
}

package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.datastores.NameRule;
import java.util.regex.Pattern;

/**
 * Name rules of the MySQL family. They are narrower than what the servers accept: no quotes,
 * backticks, spaces, semicolons, slashes or backslashes, so a name can never change the meaning of
 * a statement, and no {@code @} so a user id {@code name@host} splits one way only.
 */
final class Names {
  private Names() {}

  /** MariaDB and MySQL limit database names to 64 characters. */
  static final NameRule DATABASE =
      new NameRule(
          64,
          "[A-Za-z0-9_][A-Za-z0-9_$-]*",
          "may contain only letters, digits, '_', '$' and '-', and must start with a letter, a"
              + " digit or '_'");

  static NameRule user(int maxLength) {
    return new NameRule(
        maxLength,
        "[A-Za-z0-9_][A-Za-z0-9_.$-]*",
        "may contain only letters, digits, '_', '.', '$' and '-', and must start with a letter,"
            + " a digit or '_'");
  }

  /**
   * A host pattern: {@code %}, a host name, an IPv4 or IPv6 address, each possibly with {@code %}
   * or {@code _} wildcards. Hyphens are allowed (unlike Trove's pattern).
   */
  static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.%:-]{1,255}");

  /** Character set and collation names as the servers spell them. */
  static final Pattern CHARSET = Pattern.compile("[A-Za-z0-9_]{1,64}");
}

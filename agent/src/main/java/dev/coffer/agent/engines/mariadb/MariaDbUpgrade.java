package dev.coffer.agent.engines.mariadb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How {@code mariadb-upgrade} is found and called. It brings the system tables of data last run by
 * another version up to date; the agent runs it against the started server, logging in as its admin
 * account through a 0600 option file (never a password on the command line). It records what it did
 * in {@value #INFO_FILE} in the data directory and does nothing if that already names this server's
 * version.
 */
final class MariaDbUpgrade {
  /** Role of the tool in {@link dev.coffer.agent.engine.EngineContext#binaries()}; optional. */
  static final String UPGRADE_TOOL = "upgrade";

  private MariaDbUpgrade() {}

  /**
   * The registered tool, else {@code mariadb-upgrade} beside the client or in the server's
   * installation; empty where none exists (MySQL 8 upgrades its own data when it starts).
   */
  static Optional<String> tool(Map<String, String> binaries) {
    if (binaries.containsKey(UPGRADE_TOOL)) {
      return Optional.of(binaries.get(UPGRADE_TOOL));
    }
    for (String role : List.of(MariaDbEngine.CLIENT_TOOL, "server")) {
      String known = binaries.get(role);
      if (known == null) {
        continue;
      }
      Path dir = Path.of(known).toAbsolutePath().getParent();
      for (Path candidate :
          List.of(dir.resolve("mariadb-upgrade"), dir.getParent().resolve("bin/mariadb-upgrade"))) {
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate.toString());
        }
      }
    }
    return Optional.empty();
  }

  /** The option file's content: the admin login over the instance's socket. */
  static String options(String adminUser, String password, Path socket) {
    // generated passwords are letters and digits: nothing to quote in an option file
    return String.join(
        "\n", "[client]", "user=" + adminUser, "password=" + password, "socket=" + socket, "");
  }

  /**
   * {@code --defaults-file} must come first. {@code --force}: the agent runs it only when the
   * instance's version changed, and a rebuilt server may report the same version string as the old
   * one, which would make the tool skip its checks.
   */
  static List<String> command(String tool, Path optionsFile) {
    return List.of(tool, "--defaults-file=" + optionsFile, "--force");
  }
}

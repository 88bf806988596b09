package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
}

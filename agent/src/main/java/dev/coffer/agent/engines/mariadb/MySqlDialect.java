package dev.coffer.agent.engines.mariadb;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
}

package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.api.agent.UserRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exact statements each server gets: MySQL-only syntax must never reach MariaDB. */
class SqlDialectTest {
  private final SqlDialect mariaDb = new MariaDbDialect();
  private final SqlDialect mySql = new MySqlDialect();
  private final UserRef app = new UserRef("app", "%");
  private final UserRef root = new UserRef("root", "%");

  @Test
  void mariaDbCreatesAndChangesPasswordsWithItsDefaultPlugin() {
    assertThat(mariaDb.createUser(app)).isEqualTo("CREATE USER `app`@'%' IDENTIFIED BY ?");
    assertThat(mariaDb.setPassword(app)).isEqualTo("ALTER USER `app`@'%' IDENTIFIED BY ?");
  }

  @Test
  void mySqlNamesCachingSha2ForEveryPassword() {
    assertThat(mySql.createUser(app))
        .isEqualTo("CREATE USER `app`@'%' IDENTIFIED WITH caching_sha2_password BY ?");
    assertThat(mySql.setPassword(app))
        .isEqualTo("ALTER USER `app`@'%' IDENTIFIED WITH caching_sha2_password BY ?");
  }

  @Test
  void bothServersShareRenameDropGrantAndRevoke() {
    for (SqlDialect dialect : List.of(mariaDb, mySql)) {
      assertThat(dialect.renameUser(app, new UserRef("app2", "10.0.0.%")))
          .isEqualTo("RENAME USER `app`@'%' TO `app2`@'10.0.0.%'");
      assertThat(dialect.dropUser(app)).isEqualTo("DROP USER `app`@'%'");
      assertThat(dialect.grantDatabase("shop", app))
          .isEqualTo("GRANT ALL PRIVILEGES ON `shop`.* TO `app`@'%'");
      assertThat(dialect.revokeDatabase("shop", app))
          .isEqualTo("REVOKE ALL PRIVILEGES ON `shop`.* FROM `app`@'%'");
      assertThat(dialect.grantSuperuser(root))
          .isEqualTo("GRANT ALL PRIVILEGES ON *.* TO `root`@'%' WITH GRANT OPTION");
      assertThat(dialect.createDatabase("shop", "utf8mb4", "utf8mb4_general_ci"))
          .isEqualTo("CREATE DATABASE `shop` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci");
      assertThat(dialect.createDatabase("shop", "latin1", null))
          .isEqualTo("CREATE DATABASE `shop` CHARACTER SET latin1");
      assertThat(dialect.dropDatabase("shop")).isEqualTo("DROP DATABASE `shop`");
    }
  }

  @Test
  void aGrantNamesExactlyOneDatabaseEvenWithWildcardCharacters() {
    assertThat(mariaDb.grantDatabase("app_one", app))
        .isEqualTo("GRANT ALL PRIVILEGES ON `app\\_one`.* TO `app`@'%'");
    assertThat(Sql.ungrantPattern(Sql.grantPattern("a_b%c\\d"))).isEqualTo("a_b%c\\d");
  }

  @Test
  void quotingDoublesQuotesSoANameCannotCloseIt() {
    assertThat(Sql.identifier("a`b")).isEqualTo("`a``b`");
    assertThat(Sql.literal("it's\\")).isEqualTo("'it''s\\\\'");
    assertThat(Sql.account(new UserRef("x`", "h'"))).isEqualTo("`x```@'h'''");
  }

  @Test
  void rolesAreNotListedAsUsersOnMariaDb() {
    assertThat(mariaDb.listAccounts())
        .isEqualTo("SELECT User, Host FROM mysql.user WHERE is_role = 'N'");
    assertThat(mySql.listAccounts()).isEqualTo("SELECT User, Host FROM mysql.user");
  }

  @Test
  void bootstrapRecreatesTheAgentAccounts() {
    List<UserRef> admins =
        List.of(new UserRef("os_admin", "127.0.0.1"), new UserRef("os_admin", "localhost"));
    assertThat(mariaDb.bootstrap(admins, "pw"))
        .containsExactly(
            "SET sql_log_bin = 0;",
            "CREATE USER IF NOT EXISTS `os_admin`@'127.0.0.1' IDENTIFIED BY 'pw';",
            "ALTER USER `os_admin`@'127.0.0.1' IDENTIFIED BY 'pw';",
            "GRANT ALL PRIVILEGES ON *.* TO `os_admin`@'127.0.0.1' WITH GRANT OPTION;",
            "CREATE USER IF NOT EXISTS `os_admin`@'localhost' IDENTIFIED BY 'pw';",
            "ALTER USER `os_admin`@'localhost' IDENTIFIED BY 'pw';",
            "GRANT ALL PRIVILEGES ON *.* TO `os_admin`@'localhost' WITH GRANT OPTION;");
    assertThat(mySql.bootstrap(admins.subList(0, 1), "pw"))
        .containsExactly(
            "SET sql_log_bin = 0;",
            "CREATE USER IF NOT EXISTS `os_admin`@'127.0.0.1'"
                + " IDENTIFIED WITH caching_sha2_password BY 'pw';",
            "ALTER USER `os_admin`@'127.0.0.1' IDENTIFIED WITH caching_sha2_password BY 'pw';",
            "GRANT ALL PRIVILEGES ON *.* TO `os_admin`@'127.0.0.1' WITH GRANT OPTION;",
            "ALTER USER `root`@'localhost' ACCOUNT LOCK;");
  }

  @Test
  void eachServerCreatesItsDataDirectoryWithItsOwnTool() {
    Map<String, String> binaries =
        Map.of("server", "/usr/sbin/mysqld", "install_db", "/usr/bin/mariadb-install-db");
    Path cnf = Path.of("/i/my.cnf");
    Path data = Path.of("/i/data");
    assertThat(mariaDb.initializeCommand(binaries, cnf, data))
        .containsExactly(
            "/usr/bin/mariadb-install-db",
            "--defaults-file=/i/my.cnf",
            "--datadir=/i/data",
            "--auth-root-authentication-method=socket",
            "--skip-test-db");
    assertThat(mySql.initializeCommand(binaries, cnf, data))
        .containsExactly(
            "/usr/sbin/mysqld",
            "--defaults-file=/i/my.cnf",
            "--datadir=/i/data",
            "--initialize-insecure");
  }

  @Test
  void onlyMySqlNeedsExtraOptions() {
    assertThat(mariaDb.serverOptions()).isEmpty();
    assertThat(mySql.serverOptions()).containsExactly("mysqlx=OFF");
    assertThat(mariaDb.connectionProperties()).isEmpty();
    assertThat(mySql.connectionProperties()).containsEntry("allowPublicKeyRetrieval", "true");
  }
}

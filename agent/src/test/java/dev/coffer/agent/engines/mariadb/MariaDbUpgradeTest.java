package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MariaDbUpgradeTest {

  @Test
  void mariadbUpgradeLogsInThroughAnOptionFileNeverWithAPasswordArgument() {
    assertThat(MariaDbUpgrade.command("/usr/bin/mariadb-upgrade", Path.of("/i/run/upgrade.cnf")))
        .containsExactly(
            "/usr/bin/mariadb-upgrade", "--defaults-file=/i/run/upgrade.cnf", "--force");
    assertThat(MariaDbUpgrade.options("os_admin", "s3cret", Path.of("/i/run/mysqld.sock")))
        .isEqualTo("[client]\nuser=os_admin\npassword=s3cret\nsocket=/i/run/mysqld.sock\n");
  }

  @Test
  void theToolIsTheRegisteredOneElseFoundBesideTheServer() {
    assertThat(MariaDbUpgrade.tool(Map.of("upgrade", "/opt/m/bin/mariadb-upgrade")))
        .contains("/opt/m/bin/mariadb-upgrade");
    assertThat(MariaDbUpgrade.tool(Map.of("server", "/usr/sbin/mariadbd")))
        .contains("/usr/bin/mariadb-upgrade");
    assertThat(MariaDbUpgrade.tool(Map.of("server", "/nonexistent/sbin/mysqld"))).isEmpty();
  }
}

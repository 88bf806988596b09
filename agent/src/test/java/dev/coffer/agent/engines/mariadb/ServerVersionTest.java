package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.coffer.api.datastores.InstalledVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Telling MariaDB and Oracle MySQL apart from what {@code --version} prints. */
class ServerVersionTest {
  private static final Path MYSQLD = Path.of("/usr/sbin/mysqld");

  @Test
  void debiansMysqldIsMariaDb() {
    ServerVersion v =
        ServerVersion.parse(
                "/usr/sbin/mysqld  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64"
                    + " (Debian 12)")
            .orElseThrow();
    assertThat(v.mariaDb()).isTrue();
    assertThat(v.name()).isEqualTo("10.11");
    assertThat(v.full()).isEqualTo("10.11.19-MariaDB-0+deb12u1");
    assertThat(MySqlEngineFactory.installed(MYSQLD, Optional.of(v))).isEmpty();
  }

  @Test
  void mariaDbElevenIsMariaDb() {
    assertThat(
            ServerVersion.parse(
                "mariadbd  Ver 11.4.2-MariaDB-ubu2404 for debian-linux-gnu on x86_64"
                    + " (mariadb.org binary distribution)"))
        .hasValueSatisfying(
            v -> {
              assertThat(v.mariaDb()).isTrue();
              assertThat(v.name()).isEqualTo("11.4");
            });
  }

  @Test
  void oracleMySqlIsMySqlEvenWhenTheOutputDoesNotSaySo() {
    for (String output :
        List.of(
            "/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)",
            "/usr/sbin/mysqld  Ver 8.0.41-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))",
            "/usr/sbin/mysqld  Ver 8.0.35-27 for Linux on x86_64 (Percona Server (GPL), Release"
                + " '27')")) {
      Optional<InstalledVersion> installed =
          MySqlEngineFactory.installed(MYSQLD, ServerVersion.parse(output));
      assertThat(installed).as(output).isPresent();
      assertThat(installed.get().version()).isEqualTo("8.0");
      assertThat(installed.get().datastore()).isEqualTo("mysql");
      assertThat(installed.get().binaries()).containsEntry("server", MYSQLD.toString());
    }
    assertThat(
            ServerVersion.parse(
                "/usr/sbin/mysqld  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)"))
        .hasValueSatisfying(v -> assertThat(v.name()).isEqualTo("8.4"));
  }

  @Test
  void somethingElseIsNeither() {
    assertThat(ServerVersion.parse("bash: mysqld: command not found")).isEmpty();
    assertThat(ServerVersion.parse("postgres (PostgreSQL) 15.8")).isEmpty();
    assertThat(ServerVersion.parse("foo  Ver 3.1.2 for Linux")).isEmpty();
  }

  @Test
  void onThisDebianMachineMySqlIsNotDiscoveredBecauseMysqldIsMariaDb() {
    assumeThat(Files.isExecutable(MYSQLD)).isTrue();
    assumeThat(Executables.version(MYSQLD))
        .hasValueSatisfying(v -> assertThat(v.mariaDb()).isTrue());
    assertThat(new MySqlEngineFactory().discover()).isEmpty();
  }

  @Test
  void mariaDbIsDiscoveredWithItsServerAndInstallTool() {
    List<InstalledVersion> found = new MariaDbEngineFactory().discover();
    assumeThat(found).isNotEmpty();
    InstalledVersion version = found.get(0);
    assertThat(version.datastore()).isEqualTo("mariadb");
    assertThat(version.version()).matches("\\d+\\.\\d+");
    assertThat(version.fullVersion()).contains("MariaDB");
    assertThat(version.binaries()).containsKeys("server", "install_db");
  }

  @Test
  void mariaDbBackupIsKnownByTheServerItWasBuiltFrom() {
    assertThat(
            ServerVersion.parseToolBuild(
                "/usr/bin/mariadb-backup based on MariaDB server 10.11.19-MariaDB"
                    + " debian-linux-gnu (x86_64)"))
        .hasValueSatisfying(v -> assertThat(v.name()).isEqualTo("10.11"));
    assertThat(ServerVersion.parseToolBuild("/usr/bin/mbstream  Ver 1.0 for debian-linux-gnu"))
        .isEmpty();
  }

  @Test
  void mariaDbBackupOfTheServersSeriesIsDiscoveredWhenInstalled() {
    List<InstalledVersion> found = new MariaDbEngineFactory().discover();
    assumeThat(found).isNotEmpty();
    Optional<Path> tool = Executables.first(List.of("/usr/bin/mariadb-backup"), List.of());
    assumeThat(tool).isPresent();
    assumeThat(Executables.toolBuild(tool.get()).map(ServerVersion::name))
        .hasValue(found.get(0).version());
    assertThat(found.get(0).binaries()).containsKeys("backup", "mbstream");
  }
}

package dev.coffer.agent.engines.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact pg_upgrade steps; a real major upgrade needs two installed majors. */
class PostgresUpgradeTest {

  @Test
  void pgUpgradeRunsInCopyModeFromTheOldBinariesToTheNewWithNoPasswordOnTheCommandLine() {
    assertThat(
            PostgresUpgrade.pgUpgradeCommand(
                "/usr/lib/postgresql/16/bin/pg_upgrade",
                Path.of("/usr/lib/postgresql/15/bin"),
                Path.of("/usr/lib/postgresql/16/bin"),
                Path.of("/i/data"),
                Path.of("/i/data/.coffer-upgrade/new"),
                Path.of("/i/data/.coffer-upgrade")))
        .containsExactly(
            "env",
            "--chdir=/i/data/.coffer-upgrade",
            "/usr/lib/postgresql/16/bin/pg_upgrade",
            "--old-bindir=/usr/lib/postgresql/15/bin",
            "--new-bindir=/usr/lib/postgresql/16/bin",
            "--old-datadir=/i/data",
            "--new-datadir=/i/data/.coffer-upgrade/new",
            "--username=os_admin",
            "--copy");
  }

  @Test
  void theNewClusterIsInitialisedLikeANewInstanceWithThePasswordFromAFile() {
    assertThat(
            PostgresUpgrade.initdbCommand(
                "/usr/lib/postgresql/16/bin/initdb", Path.of("/n"), Path.of("/run/upgrade.pw")))
        .containsExactly(
            "/usr/lib/postgresql/16/bin/initdb",
            "--pgdata=/n",
            "--username=os_admin",
            "--pwfile=/run/upgrade.pw",
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions");
  }

  @Test
  void theSameMajorNeedsNoDataUpgrade(@TempDir Path data) throws IOException {
    Files.writeString(data.resolve("PG_VERSION"), "15\n");
    assertThat(PostgresUpgrade.dataMajor(data))
        .isEqualTo(
            PostgresUpgrade.serverMajor("postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)"));
    assertThat(PostgresUpgrade.serverMajor("postgres (PostgreSQL) 16.4")).isEqualTo("16");
  }

  @Test
  void aRealMajorUpgradeNeedsTwoInstalledMajors() throws IOException {
    long majors;
    Path root = Path.of("/usr/lib/postgresql");
    try (Stream<Path> dirs = Files.isDirectory(root) ? Files.list(root) : Stream.empty()) {
      majors = dirs.filter(d -> Files.isExecutable(d.resolve("bin/pg_upgrade"))).count();
    }
    assumeTrue(
        majors >= 2,
        "only "
            + majors
            + " PostgreSQL major version is installed here: the pg_upgrade integration test needs"
            + " two (for example postgresql-15 and postgresql-16)");
  }
}

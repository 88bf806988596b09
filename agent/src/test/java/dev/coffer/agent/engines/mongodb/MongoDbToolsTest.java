package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database tools' command lines: what they run, and that no password is on them. */
class MongoDbToolsTest {
  private static final String PASSWORD = "Sup3rS3cretPassw0rd";

  @TempDir Path dir;

  @Test
  void aBackupDumpsEverythingWithTheOplogToStdout() {
    MongoDbTools tools = new MongoDbTools("127.88.1.2", 27017, "os_admin", dir.resolve("t.yaml"));

    assertThat(tools.dumpCommand("/opt/mongodb/bin/mongodump"))
        .containsExactly(
            "/opt/mongodb/bin/mongodump",
            "--host=127.88.1.2",
            "--port=27017",
            "--username=os_admin",
            "--authenticationDatabase=admin",
            "--config=" + dir.resolve("t.yaml"),
            "--archive",
            "--oplog");
  }

  @Test
  void aRestoreReadsStdinAndReplaysTheOplogWithoutDroppingAccounts() {
    MongoDbTools tools = new MongoDbTools("127.88.1.2", 27017, "os_admin", dir.resolve("t.yaml"));

    assertThat(tools.restoreCommand("mongorestore"))
        .containsExactly(
            "mongorestore",
            "--host=127.88.1.2",
            "--port=27017",
            "--username=os_admin",
            "--authenticationDatabase=admin",
            "--config=" + dir.resolve("t.yaml"),
            "--archive",
            "--oplogReplay")
        .doesNotContain("--drop");
  }

  @Test
  void thePasswordIsOnlyInAConfigFileTheAgentAloneCanRead() throws Exception {
    Path file = dir.resolve("tools.yaml");
    MongoDbTools.writeConfig(file, PASSWORD);
    MongoDbTools tools = new MongoDbTools("127.88.1.2", 27017, "os_admin", file);

    assertThat(Files.readString(file)).isEqualTo("password: \"" + PASSWORD + "\"\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(String.join(" ", tools.dumpCommand("mongodump"))).doesNotContain(PASSWORD);
    assertThat(String.join(" ", tools.restoreCommand("mongorestore"))).doesNotContain(PASSWORD);
  }

  @Test
  void rewritingTheConfigFileReplacesThePassword() throws Exception {
    Path file = dir.resolve("tools.yaml");
    MongoDbTools.writeConfig(file, "first");
    MongoDbTools.writeConfig(file, "second");

    assertThat(Files.readString(file)).isEqualTo("password: \"second\"\n");
    assertThat(Files.list(dir)).containsExactly(file);
  }
}

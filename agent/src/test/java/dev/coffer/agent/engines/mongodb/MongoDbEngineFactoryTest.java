package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.InstalledVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The descriptor and where discovery looks for a mongod. The scripts here only print a version
 * line, to check discovery's search order and parsing; they are never started as a server.
 */
class MongoDbEngineFactoryTest {

  @TempDir Path dir;

  @Test
  void theCatalogListsMongoDbWithItsCapabilitiesWhetherOrNotItIsInstalled() {
    var descriptor = EngineCatalog.load().factory("mongodb").orElseThrow().descriptor();

    assertThat(descriptor.defaultPort()).isEqualTo(27017);
    assertThat(descriptor.capabilities())
        .containsExactlyInAnyOrder(
            Capability.DATABASES,
            Capability.USERS,
            Capability.USER_ACCESS,
            Capability.ROOT,
            Capability.BACKUP,
            Capability.REPLICATION);
    assertThat(descriptor.reservedUsers()).containsExactlyInAnyOrder("os_admin", "root", "os_repl");
    assertThat(descriptor.reservedDatabases())
        .containsExactlyInAnyOrder("admin", "local", "config");
    assertThat(descriptor.rootUser()).isEqualTo("root");
  }

  @Test
  void nameRulesRefuseWhatMongoDbOrCofferUserIdsCannotHold() {
    var descriptor = MongoDbEngineFactory.DESCRIPTOR;

    assertThat(descriptor.databaseNames().violation("shop_2024-eu")).isEmpty();
    assertThat(descriptor.databaseNames().violation("a.b")).isPresent();
    assertThat(descriptor.databaseNames().violation("a b")).isPresent();
    assertThat(descriptor.databaseNames().violation("$x")).isPresent();
    assertThat(descriptor.databaseNames().violation("x".repeat(64))).isPresent();
    assertThat(descriptor.userNames().violation("app.reader-1")).isEmpty();
    assertThat(descriptor.userNames().violation("app@host")).isPresent();
    assertThat(descriptor.userNames().violation("a'b")).isPresent();
  }

  @Test
  void withoutAMongodNothingIsRegistered() {
    MongoDbEngineFactory factory = new MongoDbEngineFactory(Map.of("PATH", dir.toString()));

    assertThat(factory.discover()).isEmpty();
  }

  @Test
  void anExplicitPathThatIsNotAMongodRegistersNothing() throws Exception {
    Path silent = script(dir.resolve("mongod"), "echo something else");

    assertThat(new MongoDbEngineFactory(Map.of("COFFER_MONGOD", silent.toString())).discover())
        .isEmpty();
    assertThat(
            new MongoDbEngineFactory(Map.of("COFFER_MONGOD", dir.resolve("absent").toString()))
                .discover())
        .isEmpty();
  }

  @Test
  void cofferMongodIsUsedWithTheToolsBesideIt() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("opt/bin"));
    Path mongod = script(bin.resolve("mongod"), "echo 'db version v7.0.14'");
    Path mongodump = script(bin.resolve("mongodump"), "true");
    Path mongorestore = script(bin.resolve("mongorestore"), "true");

    List<InstalledVersion> found =
        new MongoDbEngineFactory(Map.of("COFFER_MONGOD", mongod.toString(), "PATH", "/nowhere"))
            .discover();

    assertThat(found)
        .containsExactly(
            new InstalledVersion(
                "mongodb",
                "7.0",
                "7.0.14",
                Map.of(
                    "server", mongod.toString(),
                    "mongodump", mongodump.toString(),
                    "mongorestore", mongorestore.toString())));
  }

  @Test
  void cofferMongodbHomeIsSearchedInItsBinDirectoryAndToolsFallBackToThePath() throws Exception {
    Path home = dir.resolve("mongodb-8.0");
    Path mongod =
        script(
            Files.createDirectories(home.resolve("bin")).resolve("mongod"),
            "echo 'db version v8.0.3'; echo 'Build Info: {}'");
    Path tools = Files.createDirectories(dir.resolve("tools"));
    Path mongodump = script(tools.resolve("mongodump"), "true");

    List<InstalledVersion> found =
        new MongoDbEngineFactory(
                Map.of("COFFER_MONGODB_HOME", home.toString(), "PATH", "/nowhere:" + tools))
            .discover();

    assertThat(found).hasSize(1);
    assertThat(found.get(0).version()).isEqualTo("8.0");
    assertThat(found.get(0).binaries())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("server", mongod.toString(), "mongodump", mongodump.toString()));
  }

  @Test
  void theFirstMongodOnThePathIsFound() throws Exception {
    Path first = Files.createDirectories(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second"));
    script(second.resolve("mongod"), "echo 'db version v6.0.1'");
    Path mongod = script(first.resolve("mongod"), "echo 'db version v7.0.2'");

    List<InstalledVersion> found =
        new MongoDbEngineFactory(Map.of("PATH", first + ":" + second)).discover();

    assertThat(found).extracting(InstalledVersion::version).containsExactly("7.0");
    assertThat(found.get(0).binaries()).containsEntry("server", mongod.toString());
  }

  private static Path script(Path path, String body) throws Exception {
    Files.writeString(path, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    return path;
  }
}

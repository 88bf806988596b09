package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.ParameterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The {@code mariadb} datastore. */
public final class MariaDbEngineFactory implements EngineFactory {
  static final String NAME = "mariadb";

  private static final DatastoreDescriptor DESCRIPTOR =
      new DatastoreDescriptor(
          NAME,
          3306,
          EnumSet.of(
              Capability.DATABASES,
              Capability.USERS,
              Capability.USER_ACCESS,
              Capability.USER_HOSTS,
              Capability.ROOT,
              Capability.BACKUP,
              Capability.INCREMENTAL_BACKUP,
              Capability.POINT_IN_TIME_RECOVERY,
              Capability.REPLICATION,
              Capability.CONFIGURATION,
              Capability.CLUSTERS),
          Names.DATABASE,
          Names.user(80),
          Set.of(
              MariaDbEngine.ADMIN_USER,
              MariaDbReplication.REPLICATION_USER,
              GaleraCluster.SST_USER,
              MariaDbEngine.ROOT_USER,
              "mariadb.sys"),
          Set.of("mysql", "information_schema", "performance_schema", "sys"),
          MariaDbEngine.ROOT_USER,
          "mariadb -h {host} -P {port} -u {user} -p");

  public MariaDbEngineFactory() {}

  @Override
  public DatastoreDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public List<InstalledVersion> discover() {
    try {
      for (Path server :
          Executables.candidates(
              List.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld"), List.of("mariadbd", "mysqld"))) {
        Optional<ServerVersion> version =
            Executables.version(server).filter(ServerVersion::mariaDb);
        Optional<Path> installDb = installDb(server);
        if (version.isPresent() && installDb.isPresent()) {
          Map<String, String> binaries = new TreeMap<>(backupTools(server, version.get()));
          binaries.putAll(binaryLogTools(server));
          binaries.put("server", server.toString());
          binaries.put("install_db", installDb.get().toString());
          galeraLibrary().ifPresent(library -> binaries.put(GaleraCluster.PROVIDER, library));
          MariaDbUpgrade.tool(Map.of("server", server.toString()))
              .ifPresent(tool -> binaries.put(MariaDbUpgrade.UPGRADE_TOOL, tool));
          return List.of(
              new InstalledVersion(NAME, version.get().name(), version.get().full(), binaries));
        }
      }
      return List.of();
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  /** Galera's replication library (Debian's galera-4), which cluster members load. */
  private static Optional<String> galeraLibrary() {
    return Stream.of("/usr/lib/galera/libgalera_smm.so", "/usr/lib64/galera-4/libgalera_smm.so")
        .filter(path -> Files.isReadable(Path.of(path)))
        .findFirst();
  }

  /** mariadb-install-db beside the server's installation, else on the PATH. */
  private static Optional<Path> installDb(Path server) {
    Path prefix = server.toAbsolutePath().getParent().getParent();
    return Executables.first(
        List.of(
            prefix.resolve("bin/mariadb-install-db").toString(),
            prefix.resolve("scripts/mariadb-install-db").toString()),
        List.of("mariadb-install-db", "mysql_install_db"));
  }

  /**
   * mariadb-backup and mbstream beside the server's installation, else on the PATH, by the roles
   * {@code backup} and {@code mbstream}; none if either is missing. Only a mariadb-backup built
   * from the server's own series reads that server's data files correctly, so another one is
   * ignored.
   */
  private static Map<String, String> backupTools(Path server, ServerVersion version) {
    Path bin = server.toAbsolutePath().getParent().getParent().resolve("bin");
    Optional<Path> backup =
        Executables.first(
            List.of(bin.resolve("mariadb-backup").toString()),
            List.of("mariadb-backup", "mariabackup"));
    Optional<Path> mbstream =
        Executables.first(List.of(bin.resolve("mbstream").toString()), List.of("mbstream"));
    if (backup.isEmpty()
        || mbstream.isEmpty()
        || !Executables.toolBuild(backup.get())
            .map(ServerVersion::name)
            .equals(Optional.of(version.name()))) {
      return Map.of();
    }
    return Map.of(
        MariaDbEngine.BACKUP_TOOL, backup.get().toString(),
        MariaDbEngine.STREAM_TOOL, mbstream.get().toString());
  }

  /**
   * mariadb-binlog and the mariadb client beside the server's installation, else on the PATH, by
   * the roles {@code binlog} and {@code client}: they replay the archived binary log in a restore
   * to a point in time. None if either is missing.
   */
  private static Map<String, String> binaryLogTools(Path server) {
    Path bin = server.toAbsolutePath().getParent().getParent().resolve("bin");
    Optional<Path> binlog =
        Executables.first(
            List.of(bin.resolve("mariadb-binlog").toString()),
            List.of("mariadb-binlog", "mysqlbinlog"));
    Optional<Path> client =
        Executables.first(List.of(bin.resolve("mariadb").toString()), List.of("mariadb"));
    if (binlog.isEmpty() || client.isEmpty()) {
      return Map.of();
    }
    return Map.of(
        MariaDbEngine.BINLOG_TOOL, binlog.get().toString(),
        MariaDbEngine.CLIENT_TOOL, client.get().toString());
  }

  /** The same catalog for every installed version: this machine has the 10.11 series. */
  @Override
  public List<ParameterSpec> parameters(String version) {
    return MariaDbParameters.specs();
  }

  @Override
  public Engine create(EngineContext context) {
    return new MariaDbEngine(context, DESCRIPTOR, new MariaDbDialect());
  }
}

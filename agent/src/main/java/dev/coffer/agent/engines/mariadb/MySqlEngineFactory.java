package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code mysql} datastore (Oracle MySQL 8 and later). It shares the engine with MariaDB and
 * differs in its {@link MySqlDialect}. Debian's {@code mysqld} is MariaDB, so discovery accepts
 * only a server whose version output says it is not.
 */
public final class MySqlEngineFactory implements EngineFactory {
  static final String NAME = "mysql";

  private static final DatastoreDescriptor DESCRIPTOR =
      new DatastoreDescriptor(
          NAME,
          3306,
          EnumSet.of(
              Capability.DATABASES,
              Capability.USERS,
              Capability.USER_ACCESS,
              Capability.USER_HOSTS,
              Capability.ROOT),
          Names.DATABASE,
          Names.user(32),
          Set.of(
              MariaDbEngine.ADMIN_USER,
              MariaDbReplication.REPLICATION_USER,
              MariaDbEngine.ROOT_USER,
              "mysql.sys",
              "mysql.session",
              "mysql.infoschema"),
          Set.of("mysql", "information_schema", "performance_schema", "sys"),
          MariaDbEngine.ROOT_USER,
          "mysql -h {host} -P {port} -u {user} -p");

  public MySqlEngineFactory() {}

  @Override
  public DatastoreDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public List<InstalledVersion> discover() {
    try {
      for (Path server : Executables.candidates(List.of("/usr/sbin/mysqld"), List.of("mysqld"))) {
        Optional<InstalledVersion> found = installed(server, Executables.version(server));
        if (found.isPresent()) {
          return List.of(found.get());
        }
      }
      return List.of();
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  /** The installed version {@code server} is, if its version output says Oracle MySQL. */
  static Optional<InstalledVersion> installed(Path server, Optional<ServerVersion> version) {
    return version
        .filter(v -> !v.mariaDb())
        .map(
            v ->
                new InstalledVersion(
                    NAME, v.name(), v.full(), Map.of("server", server.toString())));
  }

  @Override
  public Engine create(EngineContext context) {
    return new MariaDbEngine(context, DESCRIPTOR, new MySqlDialect());
  }
}

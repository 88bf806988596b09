package dev.coffer.agent.engines.mongodb;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.NameRule;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MongoDB, where an operator has installed a {@code mongod} (Debian ships none, so nothing is found
 * on a plain Debian machine and the datastore is then listed but not installed). Users live in the
 * {@code admin} database with {@code readWrite} on the databases they are granted; root is a user
 * with the {@code root} role; backups are {@code mongodump --archive --oplog} streams.
 *
 * <p>Discovery looks, in this order, at {@code COFFER_MONGOD} (the path of a {@code mongod}),
 * {@code COFFER_MONGODB_HOME} (a directory holding {@code bin/mongod}) and the {@code PATH}. The
 * database tools ({@code mongodump}, {@code mongorestore}) are taken from beside that {@code
 * mongod}, else from the {@code PATH}; without them the server runs and backups fail clearly.
 */
public final class MongoDbEngineFactory implements EngineFactory {
  static final String NAME = "mongodb";
  static final String ADMIN_USER = "os_admin";
  static final String ROOT_USER = "root";

  /** The database every Coffer user is defined in (MongoDB's authentication database). */
  static final String AUTH_DB = "admin";

  static final String ENV_MONGOD = "COFFER_MONGOD";
  static final String ENV_HOME = "COFFER_MONGODB_HOME";

  /**
   * MongoDB forbids {@code /\. "$*<>:|?} and NUL in database names and keeps them under 64 bytes;
   * ASCII letters, digits, {@code _} and {@code -} keep characters and bytes equal and need no
   * quoting anywhere (file names on disk included).
   */
  static final NameRule DATABASE_NAMES =
      new NameRule(
          63, "[A-Za-z0-9_-]+", "may contain only letters, digits, underscores ('_') and hyphens");

  /**
   * MongoDB itself accepts almost any user name; {@code @} is refused because Coffer's user ids are
   * {@code name@host}, and the rest is kept to characters that read the same in every client.
   */
  static final NameRule USER_NAMES =
      new NameRule(
          64,
          "[A-Za-z0-9_.-]+",
          "may contain only letters, digits, underscores ('_'), hyphens ('-') and periods ('.')");

  static final DatastoreDescriptor DESCRIPTOR =
      new DatastoreDescriptor(
          NAME,
          27017,
          Set.of(
              Capability.DATABASES,
              Capability.USERS,
              Capability.USER_ACCESS,
              Capability.ROOT,
              Capability.BACKUP,
              Capability.REPLICATION),
          DATABASE_NAMES,
          USER_NAMES,
          Set.of(ADMIN_USER, ROOT_USER, MongoDbReplication.REPLICATION_USER),
          Set.of("admin", "local", "config"),
          ROOT_USER,
          "mongosh --host {host} --port {port} -u {user} --authenticationDatabase admin");

  /** {@code db version v7.0.14}. */
  private static final Pattern VERSION = Pattern.compile("db version v((\\d+)\\.(\\d+)\\S*)");

  private final Map<String, String> env;

  public MongoDbEngineFactory() {
    this(System.getenv());
  }

  /** For tests: discovery against another environment. */
  MongoDbEngineFactory(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public DatastoreDescriptor descriptor() {
    return DESCRIPTOR;
  }

  /** Registers nothing when no {@code mongod} is found, or when it does not report a version. */
  @Override
  public List<InstalledVersion> discover() {
    try {
      Optional<Path> mongod = findMongod();
      if (mongod.isEmpty()) {
        return List.of();
      }
      String output =
          OsProcesses.run(
              List.of(mongod.get().toString(), "--version"),
              Optional.empty(),
              Duration.ofSeconds(10),
              Map.of());
      Matcher m = VERSION.matcher(output);
      if (!m.find()) {
        return List.of();
      }
      Map<String, String> binaries = new HashMap<>();
      binaries.put("server", mongod.get().toString());
      for (String tool : List.of("mongodump", "mongorestore")) {
        findTool(mongod.get().getParent(), tool).ifPresent(p -> binaries.put(tool, p.toString()));
      }
      return List.of(
          new InstalledVersion(NAME, m.group(2) + "." + m.group(3), m.group(1), binaries));
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  Optional<Path> findMongod() {
    String explicit = env.get(ENV_MONGOD);
    if (explicit != null && !explicit.isBlank()) {
      return executable(Path.of(explicit));
    }
    String home = env.get(ENV_HOME);
    if (home != null && !home.isBlank()) {
      return executable(Path.of(home, "bin", "mongod"));
    }
    return onPath("mongod");
  }

  private Optional<Path> findTool(Path dir, String tool) {
    Optional<Path> beside = dir == null ? Optional.empty() : executable(dir.resolve(tool));
    return beside.isPresent() ? beside : onPath(tool);
  }

  private Optional<Path> onPath(String name) {
    String path = env.getOrDefault("PATH", "");
    Set<String> dirs = new LinkedHashSet<>(List.of(path.split(File.pathSeparator)));
    List<Path> found = new ArrayList<>();
    for (String dir : dirs) {
      if (!dir.isBlank()) {
        executable(Path.of(dir, name)).ifPresent(found::add);
      }
    }
    return found.stream().findFirst();
  }

  private static Optional<Path> executable(Path path) {
    return Files.isRegularFile(path) && Files.isExecutable(path)
        ? Optional.of(path.toAbsolutePath())
        : Optional.empty();
  }

  @Override
  public Engine create(EngineContext context) {
    return new MongoDbEngine(context);
  }
}

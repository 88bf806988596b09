package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.NameRule;
import dev.coffer.api.datastores.ParameterSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** PostgreSQL from the Debian packages: {@code /usr/lib/postgresql/<major>/bin}. */
public final class PostgresEngineFactory implements EngineFactory {
  static final String DATASTORE = "postgresql";

  /** The agent's own superuser, created by initdb (Trove calls it {@code os_admin}). */
  static final String ADMIN_USER = "os_admin";

  /** The account replicas (and pg_rewind) use to reach their source; the agent on a replica too. */
  static final String REPLICATION_USER = "os_repl";

  /** The superuser that "root enable" turns on. */
  static final String ROOT_USER = "postgres";

  /**
   * Letters, digits, {@code _ . -}: a name that never needs more than identifier quoting, so
   * quotes, semicolons, spaces, slashes and backslashes are refused before any SQL is written.
   * PostgreSQL truncates names at 63 bytes; ASCII keeps bytes and characters equal.
   */
  static final NameRule DATABASE_NAMES =
      new NameRule(
          63,
          "[A-Za-z0-9_][A-Za-z0-9_.-]*",
          "may contain only letters, digits, '_', '.' and '-', and must start with a letter,"
              + " a digit or '_'");

  /**
   * Like database names; PostgreSQL itself refuses role names starting with {@code pg_} and the
   * names {@code public} and {@code none}, so they are refused here with a clear message.
   */
  static final NameRule USER_NAMES =
      new NameRule(
          63,
          "(?!pg_)(?!(?:public|none)$)[A-Za-z0-9_][A-Za-z0-9_.-]*",
          "may contain only letters, digits, '_', '.' and '-', must start with a letter, a digit"
              + " or '_', must not start with 'pg_' and must not be 'public' or 'none'");

  static final DatastoreDescriptor DESCRIPTOR =
      new DatastoreDescriptor(
          DATASTORE,
          5432,
          Set.of(
              Capability.DATABASES,
              Capability.USERS,
              Capability.USER_ACCESS,
              Capability.ROOT,
              Capability.BACKUP,
              Capability.POINT_IN_TIME_RECOVERY,
              Capability.REPLICATION,
              Capability.CONFIGURATION),
          DATABASE_NAMES,
          USER_NAMES,
          Set.of(ADMIN_USER, REPLICATION_USER, ROOT_USER),
          Set.of("postgres", "template0", "template1"),
          ROOT_USER,
          "psql -h {host} -p {port} -U {user} -d postgres");

  private static final Path INSTALL_ROOT = Path.of("/usr/lib/postgresql");

  /** {@code postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)}. */
  private static final Pattern VERSION_OUTPUT =
      Pattern.compile("\\(PostgreSQL\\)\\s+((\\d+)(?:\\.(\\d+))?[^\\s]*)");

  public PostgresEngineFactory() {}

  @Override
  public DatastoreDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public List<InstalledVersion> discover() {
    try (Stream<Path> majors = Files.list(INSTALL_ROOT)) {
      List<InstalledVersion> found = new ArrayList<>();
      for (Path home : majors.sorted().toList()) {
        installedAt(home.resolve("bin")).ifPresent(found::add);
      }
      found.sort(Comparator.comparing(PostgresEngineFactory::versionOrder));
      return List.copyOf(found);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  @Override
  public Engine create(EngineContext context) {
    return new PostgresEngine(context);
  }

  @Override
  public List<ParameterSpec> parameters(String version) {
    return PostgresParameters.catalog();
  }

  private static Optional<InstalledVersion> installedAt(Path bin) {
    Path server = bin.resolve("postgres");
    Path initdb = bin.resolve("initdb");
    Path pgCtl = bin.resolve("pg_ctl");
    if (!Files.isExecutable(server) || !Files.isExecutable(initdb) || !Files.isExecutable(pgCtl)) {
      return Optional.empty();
    }
    try {
      String output =
          OsProcesses.run(
              List.of(server.toString(), "--version"),
              Optional.empty(),
              Duration.ofSeconds(10),
              Map.of());
      Map<String, String> binaries = new HashMap<>();
      binaries.put("server", server.toString());
      binaries.put("initdb", initdb.toString());
      binaries.put("pg_ctl", pgCtl.toString());
      // From the client package; without it the server runs but backups fail with a clear message.
      for (String tool :
          List.of("pg_basebackup", "pg_waldump", "pg_rewind", "psql", "pg_upgrade")) {
        Path path = bin.resolve(tool);
        if (Files.isExecutable(path)) {
          binaries.put(tool, path.toString());
        }
      }
      return parseVersion(output)
          .map(v -> new InstalledVersion(DATASTORE, v.version(), v.fullVersion(), binaries));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The version clients use: the major number from 10 on, {@code major.minor} before. */
  record ParsedVersion(String version, String fullVersion) {}

  static Optional<ParsedVersion> parseVersion(String output) {
    Matcher m = VERSION_OUTPUT.matcher(output);
    if (!m.find()) {
      return Optional.empty();
    }
    int major = Integer.parseInt(m.group(2));
    String version = major >= 10 || m.group(3) == null ? m.group(2) : major + "." + m.group(3);
    return Optional.of(new ParsedVersion(version, m.group(1)));
  }

  private static double versionOrder(InstalledVersion v) {
    try {
      return Double.parseDouble(v.version());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}

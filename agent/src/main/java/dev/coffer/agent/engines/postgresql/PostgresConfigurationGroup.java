package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.datastores.ParameterSpec;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instance's configuration group ({@link PostgresParameters}): kept by the agent in its own
 * directory, and rendered into {@value #FILE}, which {@code coffer.conf} includes last so that the
 * group wins over the agent's derived settings.
 *
 * <p>The agent's copy is the truth: a restore or {@code pg_rewind} brings the source's files into
 * the data directory, and {@link PostgresServer#writeConfiguration} renders this instance's own
 * group again over them. {@code postgresql.auto.conf} is not used, because those tools copy it.
 *
 * <p>A new group is checked by the server binary itself ({@code postgres -C}, which reads every
 * configuration file as a start would) before it is kept; then a reload applies what can change
 * live, and {@code pg_settings.pending_restart} names what waits for a restart. A parameter left
 * out of the group is removed from the file, so the reload returns it to the agent's setting in
 * {@code coffer.conf} (the flavor-derived memory settings) or to PostgreSQL's default.
 */
final class PostgresConfigurationGroup {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresConfigurationGroup.class);

  /** In the data directory, included at the end of {@code coffer.conf}. */
  static final String FILE = "coffer-group.conf";

  /** The group as the control plane last gave it, in the agent directory. */
  private static final String SAVED = "configuration-group.properties";

  private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(60);

  /** A server log line: {@code <prefix> LOG: <message>}. */
  private static final Pattern LOG_LINE =
      Pattern.compile("\\b(?:LOG|WARNING|ERROR|FATAL):\\s+(.*)$");

  private static final Pattern NAMED_PARAMETER = Pattern.compile("parameter \"([^\"]+)\"");

  private final EngineContext context;
  private final PostgresServer server;

  PostgresConfigurationGroup(EngineContext context, PostgresServer server) {
    this.context = context;
    this.server = server;
  }

  /**
   * Makes {@code values} the whole group; returns the names whose value waits for a restart. A
   * value the server refuses leaves the previous group in place, file and running server alike.
   */
  Set<String> apply(Map<String, String> values) {
    Map<String, String> group = checked(values);
    String rendered = render(group);
    synchronized (server) {
      if (server.isInitialized()) {
        Path file = context.dataDir().resolve(FILE);
        String previous = read(file);
        server.writeEngineFile(file, rendered);
        try {
          checkConfigurationFiles(group.keySet());
        } catch (RuntimeException refused) {
          server.writeEngineFile(
              file, previous == null ? render(saved(server.agentDir())) : previous);
          throw refused;
        }
      }
      save(server.agentDir(), group);
      LOG.info(
          "configuration group applied instance={} parameters={}",
          context.instanceId(),
          group.keySet());
      if (server.pid().isEmpty()) {
        // Every value takes effect with the next start.
        return Set.of();
      }
      Set<String> pending = reloadAndListPendingRestart();
      if (!pending.isEmpty()) {
        LOG.info(
            "configuration waits for a restart instance={} parameters={}",
            context.instanceId(),
            pending);
      }
      return pending;
    }
  }

  /**
   * The running server's values ({@code pg_settings}) of the catalog parameters among {@code
   * names}, in the catalog's units; booleans as {@code true}/{@code false}.
   *
   * <p>Read with psql as the admin (peer authentication, so on a replica too) and without any
   * session option: the agent's JDBC sessions override the timeouts and statement logging, and
   * pgjdbc sends its own TimeZone, so they would not show the server's values.
   */
  Map<String, String> current(Set<String> names) {
    Set<String> wanted = new TreeSet<>();
    for (String name : names) {
      if (PostgresParameters.find(name).isPresent()) {
        wanted.add(PostgresEngine.literal(name));
      }
    }
    Map<String, String> values = new TreeMap<>();
    if (wanted.isEmpty()) {
      return values;
    }
    ProcessOutput result =
        runAsEngineUser(
            List.of(
                context.binary("psql"),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--field-separator-zero",
                "--set=ON_ERROR_STOP=1",
                "--host=" + context.runDir(),
                "--port=" + context.port(),
                "--username=" + PostgresEngineFactory.ADMIN_USER,
                "--dbname=postgres"),
            "SELECT lower(name), setting, coalesce(unit, '') FROM pg_settings WHERE lower(name) IN ("
                + String.join(", ", wanted)
                + ");\n");
    if (result.exit() != 0) {
      throw EngineException.failure("cannot read pg_settings: " + lastLines(result.output()));
    }
    for (String line : result.output().lines().toList()) {
      String[] fields = line.split("\0", -1);
      if (fields.length == 3) {
        PostgresParameters.find(fields[0])
            .ifPresent(spec -> values.put(spec.name(), normalised(spec, fields[1], fields[2])));
      }
    }
    return values;
  }

  // ---- the file ----

  /** The include file for a group: one line per parameter, in catalog order. */
  static String render(Map<String, String> group) {
    StringBuilder text =
        new StringBuilder(
            "# Written by the Coffer agent from the instance's configuration group;"
                + " changes here are overwritten.\n");
    for (ParameterSpec spec : PostgresParameters.catalog()) {
      String value = group.get(spec.name());
      if (value != null) {
        text.append(spec.name())
            .append(" = ")
            .append(PostgresConfig.literal(fileValue(spec, value)))
            .append('\n');
      }
    }
    return text.toString();
  }

  /**
   * A value as the file takes it: an integer with a unit gets the unit spelled out, because a bare
   * number counts the parameter's internal unit (8 kB blocks for shared_buffers). Zero and the
   * negative special values (-1: "off" or "automatic") are the same in every unit and stay bare.
   */
  private static String fileValue(ParameterSpec spec, String value) {
    String trimmed = value.strip();
    if (ParameterSpec.INTEGER.equals(spec.type()) && !spec.unit().isEmpty()) {
      long number = Long.parseLong(trimmed);
      return number > 0 ? number + spec.unit() : String.valueOf(number);
    }
    return trimmed;
  }

  /** The group in catalog order, or a bad request naming what is not acceptable. */
  private static Map<String, String> checked(Map<String, String> values) {
    List<String> unknown = new ArrayList<>();
    List<String> malformed = new ArrayList<>();
    for (Map.Entry<String, String> entry : values.entrySet()) {
      var spec = PostgresParameters.find(entry.getKey());
      if (spec.isEmpty()) {
        unknown.add(entry.getKey());
      } else if (!wellFormed(spec.get(), entry.getValue())) {
        malformed.add(entry.getKey());
      }
    }
    if (!unknown.isEmpty()) {
      throw EngineException.badRequest(
          "Unknown configuration parameter(s) for postgresql: " + String.join(", ", unknown) + ".");
    }
    if (!malformed.isEmpty()) {
      throw EngineException.badRequest(
          "Invalid value for configuration parameter(s): " + String.join(", ", malformed) + ".");
    }
    Map<String, String> group = new LinkedHashMap<>();
    for (ParameterSpec spec : PostgresParameters.catalog()) {
      if (values.containsKey(spec.name())) {
        group.put(spec.name(), values.get(spec.name()).strip());
      }
    }
    return group;
  }

  /** One line of text; an integer for an integer (its unit is added when rendered). */
  private static boolean wellFormed(ParameterSpec spec, String value) {
    if (value == null || value.isBlank() || value.chars().anyMatch(Character::isISOControl)) {
      return false;
    }
    if (ParameterSpec.INTEGER.equals(spec.type())) {
      try {
        Long.parseLong(value.strip());
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads the configuration files with the server binary, as a start would; a value it refuses is a
   * bad request naming the parameter. Works whether the server runs or not, and for every value,
   * including those that only a restart would apply.
   */
  private void checkConfigurationFiles(Set<String> groupNames) {
    ProcessOutput result =
        runAsEngineUser(
            List.of(
                context.binary("server"),
                "-D",
                context.dataDir().toString(),
                "-C",
                "server_version_num"),
            "");
    String output = result.output();
    int exit = result.exit();
    if (exit == 0) {
      return;
    }
    Set<String> refused = new LinkedHashSet<>();
    List<String> reasons = new ArrayList<>();
    for (String line : output.lines().toList()) {
      Matcher logLine = LOG_LINE.matcher(line);
      if (!logLine.find()) {
        continue;
      }
      Matcher parameter = NAMED_PARAMETER.matcher(logLine.group(1));
      if (parameter.find() && groupNames.contains(parameter.group(1).toLowerCase(Locale.ROOT))) {
        refused.add(parameter.group(1).toLowerCase(Locale.ROOT));
        reasons.add(logLine.group(1));
      }
    }
    if (refused.isEmpty()) {
      throw EngineException.failure(
          "PostgreSQL cannot read its configuration files: " + lastLines(output));
    }
    throw EngineException.badRequest(
        "PostgreSQL refused the value of "
            + String.join(", ", refused)
            + ": "
            + String.join("; ", reasons)
            + ".");
  }

  private record ProcessOutput(int exit, String output) {}

  /**
   * Runs a PostgreSQL program as the run-as user and returns its exit code and combined output. The
   * agent's own PG* variables are left out, so that only the server's configuration counts.
   */
  private ProcessOutput runAsEngineUser(List<String> command, String stdin) {
    ProcessBuilder builder =
        new ProcessBuilder(OsProcesses.asUser(command, context.runAsUser()))
            .redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
    builder.environment().put("PGCONNECT_TIMEOUT", "10");
    builder.environment().put("LC_ALL", "C");
    Path out = null;
    try {
      out = Files.createTempFile("coffer-pg", ".out");
      Process process = builder.redirectOutput(out.toFile()).start();
      try (var in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!process.waitFor(COMMAND_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw EngineException.failure(
            Path.of(command.get(0)).getFileName()
                + " did not finish within "
                + COMMAND_DEADLINE.toSeconds()
                + " s");
      }
      return new ProcessOutput(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw EngineException.failure("cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while running " + command.get(0), e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          LOG.warn("cannot delete {} instance={}", out, context.instanceId());
        }
      }
    }
  }

  private static String lastLines(String output) {
    List<String> lines = output.lines().toList();
    return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
  }

  /**
   * Signals the server to read its files again, waits until this session has (its {@code
   * pg_conf_load_time} moves on), and lists the catalog parameters whose file value differs from
   * the running one because only a restart can apply it.
   */
  private Set<String> reloadAndListPendingRestart() {
    try (Connection c = server.connect("postgres");
        Statement s = c.createStatement()) {
      server.reloadAndWait(s);
      Set<String> pending = new TreeSet<>();
      try (ResultSet rs =
          s.executeQuery("SELECT lower(name) FROM pg_settings WHERE pending_restart")) {
        while (rs.next()) {
          PostgresParameters.find(rs.getString(1)).ifPresent(spec -> pending.add(spec.name()));
        }
      }
      return pending;
    } catch (SQLException e) {
      throw EngineException.failure("cannot reload the configuration: " + e.getMessage(), e);
    }
  }

  /** A pg_settings value in the catalog's unit. */
  static String normalised(ParameterSpec spec, String setting, String serverUnit) {
    return switch (spec.type()) {
      case ParameterSpec.BOOLEAN -> String.valueOf("on".equals(setting));
      case ParameterSpec.INTEGER -> {
        long value = Long.parseLong(setting);
        if (value <= 0 || spec.unit().isEmpty()) {
          yield String.valueOf(value);
        }
        yield String.valueOf(value * unitSize(serverUnit) / unitSize(spec.unit()));
      }
      default -> setting;
    };
  }

  /**
   * The size of a pg_settings unit in its dimension's smallest unit: bytes for memory, microseconds
   * for time. Units of one dimension divide each other exactly.
   */
  static long unitSize(String unit) {
    return switch (unit) {
      case "B" -> 1L;
      case "kB" -> 1024L;
      case "8kB" -> 8 * 1024L;
      case "MB" -> 1024L * 1024;
      case "16MB" -> 16L * 1024 * 1024;
      case "GB" -> 1024L * 1024 * 1024;
      case "us" -> 1L;
      case "ms" -> 1000L;
      case "s" -> 1000L * 1000;
      case "min" -> 60L * 1000 * 1000;
      case "h" -> 60L * 60 * 1000 * 1000;
      case "d" -> 24L * 60 * 60 * 1000 * 1000;
      default -> throw new IllegalArgumentException("unknown PostgreSQL unit: " + unit);
    };
  }

  // ---- the agent's copy ----

  /** The group last applied to this instance; empty if none. */
  static Map<String, String> saved(Path agentDir) {
    Path file = agentDir.resolve(SAVED);
    Map<String, String> group = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return group;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    for (ParameterSpec spec : PostgresParameters.catalog()) {
      String value = p.getProperty(spec.name());
      if (value != null) {
        group.put(spec.name(), value);
      }
    }
    return group;
  }

  private static void save(Path agentDir, Map<String, String> group) {
    Path file = agentDir.resolve(SAVED);
    Path tmp = file.resolveSibling(SAVED + ".tmp");
    Properties p = new Properties();
    p.putAll(group);
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(w, "configuration group, written by the Coffer agent");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : null;
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}

package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engines.mariadb.MariaDbParameters.Parameter;
import dev.coffer.agent.engines.mariadb.MariaDbParameters.Reset;
import dev.coffer.api.datastores.ParameterSpec;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration groups of a MariaDB server. The group is persisted in the agent directory ({@link
 * ParameterGroup}) and rendered as the last {@code [mysqld]} section of {@code my.cnf}, so it wins
 * over Coffer's derived settings at every start; dynamic parameters are also set on the running
 * server with {@code SET GLOBAL}. A parameter leaving the group goes back to the value a fresh
 * start would give it: Coffer's rendered or derived value where there is one, the engine's compiled
 * default otherwise.
 */
final class MariaDbConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(MariaDbConfiguration.class);

  // values reach my.cnf and SQL: a string is a word or a comma-separated list of words, nothing
  // that could end a line, a quote or a statement
  private static final Pattern WORDS = Pattern.compile("[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*");
  private static final Pattern INTEGER = Pattern.compile("[0-9]{1,20}");
  private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,12}(\\.[0-9]{1,6})?");
  private static final String CHARSET = "character_set_server";
  private static final String COLLATION = "collation_server";
  private static final String IO_CAPACITY = "innodb_io_capacity";
  private static final String IO_CAPACITY_MAX = "innodb_io_capacity_max";
  // the engine's compiled default of innodb_io_capacity, from which it derives the maximum
  private static final long ENGINE_IO_CAPACITY = 200;

  private final EngineContext context;
  private final boolean supported;
  private final MariaDbReplication.AdminConnections admin;
  private final Runnable writeConfig;
  private final BooleanSupplier running;

  /**
   * @param supported whether the datastore declares configuration groups (MariaDB, not MySQL, whose
   *     variables this catalog does not describe)
   */
  MariaDbConfiguration(
      EngineContext context,
      boolean supported,
      MariaDbReplication.AdminConnections admin,
      Runnable writeConfig,
      BooleanSupplier running) {
    this.context = context;
    this.supported = supported;
    this.admin = admin;
    this.writeConfig = writeConfig;
    this.running = running;
  }

  // ---- apply -----------------------------------------------------------------------------

  /** See {@link dev.coffer.agent.engine.ConfigurableEngine#applyConfiguration}. */
  Set<String> apply(Map<String, String> requested) {
    requireSupported();
    ParameterGroup group = canonical(requested);
    ParameterGroup previous = ParameterGroup.load(context.agentDir());
    List<Parameter> live =
        MariaDbParameters.all().stream()
            .filter(p -> !p.restartRequired())
            .filter(p -> group.values().containsKey(p.name()) || p.reset() != Reset.AT_START)
            .toList();
    if (running.getAsBoolean()) {
      setLive(live, group);
    }
    try {
      group.save(context.agentDir());
      writeConfig.run();
    } catch (RuntimeException e) {
      // the file did not change: neither may the server
      if (running.getAsBoolean()) {
        setLive(live, previous);
      }
      throw e;
    }
    Set<String> pending = pendingRestart(group, ParameterGroup.loadBooted(context.agentDir()));
    LOG.info(
        "instance={} event=configuration-applied parameters={} pending_restart={}",
        context.instanceId(),
        group.values().keySet(),
        pending);
    return pending;
  }

  /** Called once a server started from the current {@code my.cnf}. */
  void started() {
    if (supported) {
      ParameterGroup.load(context.agentDir()).saveBooted(context.agentDir());
    }
  }

  /**
   * Restart-required parameters whose value differs from the one the server started with, and
   * parameters the server sizes at start that left the group.
   */
  Set<String> pendingRestart(ParameterGroup group, ParameterGroup booted) {
    Set<String> pending = new TreeSet<>();
    for (Parameter p : MariaDbParameters.all()) {
      if (p.restartRequired()) {
        if (!Objects.equals(effective(p, group), effective(p, booted))) {
          pending.add(p.name());
        }
      } else if (p.reset() == Reset.AT_START
          && booted.values().containsKey(p.name())
          && !group.values().containsKey(p.name())) {
        pending.add(p.name());
      }
    }
    return pending;
  }

  /**
   * Sets every listed dynamic parameter to its value under {@code group}. If the server refuses
   * one, those already set get their previous values back, and the refusal names the parameter.
   */
  private void setLive(List<Parameter> parameters, ParameterGroup group) {
    try (Connection c = admin.open(Duration.ofSeconds(5), Duration.ofSeconds(120));
        Statement s = c.createStatement()) {
      Map<String, String> before = globalValues(s, parameters);
      List<Parameter> done = new ArrayList<>();
      for (Parameter p : parameters) {
        String value = effective(p, group);
        try {
          s.execute("SET GLOBAL " + p.name() + " = " + sqlValue(p, value));
          done.add(p);
        } catch (SQLException e) {
          restore(s, done, before);
          if (isConnectionLoss(e)) {
            throw e;
          }
          throw EngineException.badRequest(
              "The server refused "
                  + p.name()
                  + " = "
                  + (value == null ? "its default" : value)
                  + ": "
                  + e.getMessage());
        }
      }
    } catch (SQLException e) {
      throw EngineException.failure(
          "applying the configuration failed: "
              + e.getMessage()
              + " (error "
              + e.getErrorCode()
              + ")",
          e);
    }
  }

  private static void restore(Statement s, List<Parameter> done, Map<String, String> before) {
    for (int i = done.size() - 1; i >= 0; i--) {
      Parameter p = done.get(i);
      String old = before.get(p.name());
      try {
        s.execute(
            "SET GLOBAL "
                + p.name()
                + " = "
                + (p.type().equals(ParameterSpec.STRING) ? Sql.literal(old) : old));
      } catch (SQLException e) {
        LOG.warn("cannot restore {}={}: {}", p.name(), old, e.getMessage());
      }
    }
  }

  private static boolean isConnectionLoss(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("08");
  }

  // ---- read back -------------------------------------------------------------------------

  /** See {@link dev.coffer.agent.engine.ConfigurableEngine#currentConfiguration}. */
  Map<String, String> current(Set<String> names) {
    requireSupported();
    List<Parameter> parameters =
        names.stream().map(MariaDbParameters::find).flatMap(Optional::stream).toList();
    if (parameters.isEmpty()) {
      return Map.of();
    }
    try (Connection c = admin.open(Duration.ofSeconds(5), Duration.ofSeconds(30));
        Statement s = c.createStatement()) {
      Map<String, String> raw = globalValues(s, parameters);
      Map<String, String> values = new TreeMap<>();
      for (Parameter p : parameters) {
        String value = raw.get(p.name());
        if (value != null) {
          values.put(p.name(), reported(p.spec(), value));
        }
      }
      return values;
    } catch (SQLException e) {
      throw EngineException.failure(
          "reading the configuration failed: "
              + e.getMessage()
              + " (error "
              + e.getErrorCode()
              + ")",
          e);
    }
  }

  /** Global values as the server reports them, by lower-case name. */
  private static Map<String, String> globalValues(Statement s, List<Parameter> parameters)
      throws SQLException {
    String in =
        parameters.stream()
            .map(p -> Sql.literal(p.name().toUpperCase(Locale.ROOT)))
            .collect(Collectors.joining(","));
    Map<String, String> values = new TreeMap<>();
    try (ResultSet rs =
        s.executeQuery(
            "SELECT VARIABLE_NAME, GLOBAL_VALUE FROM information_schema.SYSTEM_VARIABLES"
                + " WHERE VARIABLE_NAME IN ("
                + in
                + ")")) {
      while (rs.next()) {
        values.put(rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2));
      }
    }
    return values;
  }

  /** A server-reported value in the catalog's form: booleans true/false, no trailing zeros. */
  static String reported(ParameterSpec spec, String value) {
    return switch (spec.type()) {
      case ParameterSpec.BOOLEAN -> String.valueOf("ON".equalsIgnoreCase(value));
      case ParameterSpec.FLOAT -> plain(new BigDecimal(value));
      case ParameterSpec.STRING ->
          spec.allowed().stream().filter(a -> a.equalsIgnoreCase(value)).findFirst().orElse(value);
      default -> value;
    };
  }

  // ---- values ----------------------------------------------------------------------------

  /**
   * Validates a requested group (the control plane already did, against the same catalog: this
   * guards the option file and the SQL) and brings each value to one spelling.
   */
  static ParameterGroup canonical(Map<String, String> requested) {
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : requested.entrySet()) {
      Parameter p =
          MariaDbParameters.find(e.getKey())
              .orElseThrow(
                  () ->
                      EngineException.badRequest(
                          "The parameter \"" + e.getKey() + "\" is not configurable."));
      if (e.getValue() == null) {
        throw invalid(p, "a value is required");
      }
      values.put(p.name(), canonicalValue(p.spec(), e.getValue().trim()));
    }
    ParameterGroup group = new ParameterGroup(values);
    String charset = charset(group);
    String collation = collation(group);
    if (!collation.startsWith(charset + "_")) {
      throw EngineException.badRequest(
          "collation_server " + collation + " does not belong to character_set_server " + charset);
    }
    if (values.containsKey(IO_CAPACITY)
        && values.containsKey(IO_CAPACITY_MAX)
        && Long.parseLong(values.get(IO_CAPACITY)) > Long.parseLong(values.get(IO_CAPACITY_MAX))) {
      throw EngineException.badRequest(
          "innodb_io_capacity must not exceed innodb_io_capacity_max.");
    }
    return group;
  }

  private static String canonicalValue(ParameterSpec spec, String value) {
    switch (spec.type()) {
      case ParameterSpec.INTEGER, ParameterSpec.FLOAT -> {
        Pattern form = spec.type().equals(ParameterSpec.INTEGER) ? INTEGER : DECIMAL;
        if (!form.matcher(value).matches()) {
          throw invalid(spec, "expected " + (form == INTEGER ? "an integer" : "a number"));
        }
        BigDecimal number = new BigDecimal(value);
        if ((spec.min() != null && number.compareTo(BigDecimal.valueOf(spec.min())) < 0)
            || (spec.max() != null && number.compareTo(BigDecimal.valueOf(spec.max())) > 0)) {
          throw invalid(
              spec,
              "expected " + plain(spec.min()) + " to " + plain(spec.max()) + " " + spec.unit());
        }
        return plain(number);
      }
      case ParameterSpec.BOOLEAN -> {
        return switch (value.toLowerCase(Locale.ROOT)) {
          case "true", "on", "1", "yes" -> "true";
          case "false", "off", "0", "no" -> "false";
          default -> throw invalid(spec, "expected true or false");
        };
      }
      default -> {
        if (!spec.allowed().isEmpty()) {
          return spec.allowed().stream()
              .filter(a -> a.equalsIgnoreCase(value))
              .findFirst()
              .orElseThrow(() -> invalid(spec, "expected one of " + spec.allowed()));
        }
        if (!value.isEmpty() && !WORDS.matcher(value).matches()) {
          throw invalid(spec, "expected words separated by commas");
        }
        return value.toUpperCase(Locale.ROOT);
      }
    }
  }

  private static EngineException invalid(Parameter p, String why) {
    return invalid(p.spec(), why);
  }

  private static EngineException invalid(ParameterSpec spec, String why) {
    return EngineException.badRequest("Invalid value for " + spec.name() + ": " + why + ".");
  }

  private static String plain(double value) {
    return plain(BigDecimal.valueOf(value));
  }

  private static String plain(BigDecimal value) {
    return value.stripTrailingZeros().toPlainString();
  }

  /** The character set under a group: its own, its collation's, or Coffer's utf8mb4. */
  static String charset(ParameterGroup group) {
    String charset = group.values().get(CHARSET);
    if (charset != null) {
      return charset;
    }
    String collation = group.values().get(COLLATION);
    if (collation != null) {
      return MariaDbParameters.DEFAULT_COLLATIONS.keySet().stream()
          .filter(c -> collation.startsWith(c + "_"))
          .findFirst()
          .orElse(ServerConfig.CHARACTER_SET);
    }
    return ServerConfig.CHARACTER_SET;
  }

  static String collation(ParameterGroup group) {
    String collation = group.values().get(COLLATION);
    if (collation != null) {
      return collation;
    }
    String charset = charset(group);
    return charset.equals(ServerConfig.CHARACTER_SET)
        ? ServerConfig.COLLATION
        : MariaDbParameters.DEFAULT_COLLATIONS.get(charset);
  }

  /**
   * A parameter's value under {@code group}: the group's, else the one Coffer renders or the server
   * derives at start; null for the engine's compiled default.
   */
  String effective(Parameter p, ParameterGroup group) {
    String value = group.values().get(p.name());
    if (value == null) {
      // a slow query log turned on as a guest log stays on when a group without it is applied
      value = MariaDbGuestLogs.groupDefault(p.name(), context.agentDir()).orElse(null);
    }
    if (value != null || p.reset() != Reset.COFFER) {
      return value;
    }
    int memoryMb = context.memoryMb();
    return switch (p.name()) {
      case "innodb_buffer_pool_size" -> mb(ServerConfig.bufferPoolMb(memoryMb));
      case "innodb_log_file_size" -> mb(ServerConfig.logFileMb(memoryMb));
      case "max_connections" -> String.valueOf(ServerConfig.maxConnections(memoryMb));
      case CHARSET -> charset(group);
      case COLLATION -> collation(group);
      case "performance_schema" -> "false";
      case IO_CAPACITY_MAX -> {
        // what InnoDB derives at start when the maximum is not set
        long capacity =
            Long.parseLong(
                group.values().getOrDefault(IO_CAPACITY, String.valueOf(ENGINE_IO_CAPACITY)));
        yield String.valueOf(Math.max(2000, 2 * capacity));
      }
      default -> throw new IllegalStateException("no Coffer default for " + p.name());
    };
  }

  private static String mb(long megabytes) {
    return String.valueOf(megabytes * 1024 * 1024);
  }

  private static String sqlValue(Parameter p, String value) {
    if (value == null) {
      return "DEFAULT";
    }
    return switch (p.type()) {
      case ParameterSpec.BOOLEAN -> Boolean.parseBoolean(value) ? "ON" : "OFF";
      case ParameterSpec.STRING -> Sql.literal(value);
      default -> value;
    };
  }

  /**
   * The group as option-file lines, for the end of {@code [mysqld]}. The character set and
   * collation always come as a pair: the server refuses to start with a collation of another
   * character set than the one Coffer renders.
   */
  static List<String> optionLines(ParameterGroup group) {
    List<String> lines = new ArrayList<>();
    for (Parameter p : MariaDbParameters.all()) {
      String value = group.values().get(p.name());
      if (p.name().equals(CHARSET) || p.name().equals(COLLATION)) {
        if (group.values().containsKey(CHARSET) || group.values().containsKey(COLLATION)) {
          value = p.name().equals(CHARSET) ? charset(group) : collation(group);
        }
      }
      if (value != null) {
        String option =
            p.type().equals(ParameterSpec.BOOLEAN)
                ? (Boolean.parseBoolean(value) ? "ON" : "OFF")
                : value;
        lines.add(p.option() + "=" + option);
      }
    }
    return lines;
  }

  private void requireSupported() {
    if (!supported) {
      throw EngineException.badRequest("This datastore does not support configuration groups.");
    }
  }
}

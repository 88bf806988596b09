package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.agent.engine.GuestLogSettings;
import dev.coffer.api.agent.GuestLogType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Trove's MySQL guest logs on a MariaDB (or MySQL) server: the general query log and the slow query
 * log (USER), and the error log (SYS). Turning one on or off writes {@link GuestLogSettings}, which
 * {@link ServerConfig} renders into {@code my.cnf}, and sets the server's global at once (all three
 * variables are dynamic).
 */
final class MariaDbGuestLogs {
  static final String GENERAL = "general";
  static final String SLOW_QUERY = "slow_query";
  static final String ERROR = "error";
  // what long_query_time is without a guest log or a group setting it: the server's default
  private static final String ENGINE_LONG_QUERY_TIME = "10";

  private final EngineContext context;
  private final MariaDbReplication.AdminConnections admin;
  private final Runnable writeConfig;
  private final BooleanSupplier running;

  MariaDbGuestLogs(
      EngineContext context,
      MariaDbReplication.AdminConnections admin,
      Runnable writeConfig,
      BooleanSupplier running) {
    this.context = context;
    this.admin = admin;
    this.writeConfig = writeConfig;
    this.running = running;
  }

  /** Whether a USER log is on: what the running server says, else what its next start will do. */
  List<GuestLogFile> list() {
    Map<String, Boolean> on = running.getAsBoolean() ? live() : persisted();
    return List.of(
        new GuestLogFile(
            GENERAL,
            GuestLogType.USER,
            context.logDir().resolve(ServerConfig.GENERAL_LOG),
            on.getOrDefault(GENERAL, false)),
        new GuestLogFile(
            SLOW_QUERY,
            GuestLogType.USER,
            context.logDir().resolve(ServerConfig.SLOW_LOG),
            on.getOrDefault(SLOW_QUERY, false)),
        new GuestLogFile(
            ERROR, GuestLogType.SYS, context.logDir().resolve(ServerConfig.ERROR_LOG), true));
  }

  void set(String name, boolean enabled) {
    GuestLogSettings settings = GuestLogSettings.load(context.agentDir()).with(name, enabled);
    settings.save(context.agentDir());
    writeConfig.run();
    if (!running.getAsBoolean()) {
      return;
    }
    try (Connection c = admin.open(Duration.ofSeconds(5), Duration.ofSeconds(30));
        Statement s = c.createStatement()) {
      String on = enabled ? "ON" : "OFF";
      if (name.equals(GENERAL)) {
        s.execute("SET GLOBAL general_log = " + on);
      } else {
        // the threshold follows the configuration group when it has one, as at the next start
        String group = ParameterGroup.load(context.agentDir()).values().get("long_query_time");
        String threshold =
            group != null
                ? group
                : enabled ? ServerConfig.GUEST_LOG_LONG_QUERY_TIME : ENGINE_LONG_QUERY_TIME;
        s.execute("SET GLOBAL long_query_time = " + Double.parseDouble(threshold));
        s.execute("SET GLOBAL slow_query_log = " + on);
      }
    } catch (SQLException e) {
      throw EngineException.failure(
          "cannot turn the " + name + " log " + (enabled ? "on" : "off") + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * The value a configuration group parameter the group leaves out takes because of a guest log
   * (what {@code my.cnf} renders for it), if any.
   */
  static Optional<String> groupDefault(String parameter, Path agentDir) {
    if (!GuestLogSettings.load(agentDir).isEnabled(SLOW_QUERY)) {
      return Optional.empty();
    }
    return switch (parameter) {
      case "slow_query_log" -> Optional.of("true");
      case "long_query_time" -> Optional.of(ServerConfig.GUEST_LOG_LONG_QUERY_TIME);
      default -> Optional.empty();
    };
  }

  private Map<String, Boolean> live() {
    Map<String, Boolean> on = new TreeMap<>();
    try (Connection c = admin.open(Duration.ofSeconds(5), Duration.ofSeconds(30));
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('general_log', 'slow_query_log')")) {
      while (r.next()) {
        boolean value = "ON".equalsIgnoreCase(r.getString(2)) || "1".equals(r.getString(2));
        on.put(r.getString(1).equals("general_log") ? GENERAL : SLOW_QUERY, value);
      }
      return on;
    } catch (SQLException e) {
      // the server may be starting or stopping: report what its configuration says
      return persisted();
    }
  }

  private Map<String, Boolean> persisted() {
    GuestLogSettings settings = GuestLogSettings.load(context.agentDir());
    Map<String, String> group = ParameterGroup.load(context.agentDir()).values();
    Map<String, Boolean> on = new TreeMap<>();
    on.put(GENERAL, settings.isEnabled(GENERAL));
    String slow = group.get("slow_query_log");
    on.put(
        SLOW_QUERY,
        slow != null
            ? Boolean.parseBoolean(slow) || slow.equals("1") || slow.equalsIgnoreCase("ON")
            : settings.isEnabled(SLOW_QUERY));
    return on;
  }
}

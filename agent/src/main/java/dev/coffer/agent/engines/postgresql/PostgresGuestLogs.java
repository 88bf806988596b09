package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.agent.engine.GuestLogSettings;
import dev.coffer.api.agent.GuestLogType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Guest logs of a PostgreSQL server. PostgreSQL writes one log stream, so its three logs are views
 * of the same file (the current {@code postgresql-<day>.log} of the logging collector): {@code
 * server} (SYS: errors, warnings, start and stop), {@code general} (USER: every statement, {@code
 * log_statement = all}) and {@code slow_query} (USER: statements of a second or more, {@code
 * log_min_duration_statement}). Turning one on writes {@value #FILE}, which {@code coffer.conf}
 * includes before the configuration group, and reloads the server (both settings are dynamic).
 */
final class PostgresGuestLogs {
  static final String FILE = "coffer-logs.conf";
  static final String GENERAL = "general";
  static final String SLOW_QUERY = "slow_query";
  static final String SERVER = "server";

  /** Trove's default threshold of a slow query log, in milliseconds. */
  static final int SLOW_QUERY_MS = 1000;

  private final EngineContext context;
  private final PostgresServer server;

  PostgresGuestLogs(EngineContext context, PostgresServer server) {
    this.context = context;
    this.server = server;
  }

  /** The include file: only what the turned-on logs need. */
  static String render(GuestLogSettings settings) {
    StringBuilder file =
        new StringBuilder(
            "# Written by the Coffer agent: guest logs turned on. The configuration group wins.\n");
    if (settings.isEnabled(GENERAL)) {
      file.append("log_statement = 'all'\n");
    }
    if (settings.isEnabled(SLOW_QUERY)) {
      file.append("log_min_duration_statement = ").append(SLOW_QUERY_MS).append('\n');
    }
    return file.toString();
  }

  /**
   * Whether a USER log is on, from the files the server reads: the group's own value where it has
   * one (it is included last), else the guest-log setting. The agent's sessions cannot simply ask
   * the server, as they turn statement logging off for themselves.
   */
  List<GuestLogFile> list() {
    GuestLogSettings settings = GuestLogSettings.load(server.agentDir());
    Map<String, String> group = PostgresConfigurationGroup.saved(server.agentDir());
    boolean general =
        group.containsKey("log_statement")
            ? group.get("log_statement").equals("all")
            : settings.isEnabled(GENERAL);
    boolean slow =
        group.containsKey("log_min_duration_statement")
            ? Long.parseLong(group.get("log_min_duration_statement").strip()) >= 0
            : settings.isEnabled(SLOW_QUERY);
    Path file = currentFile();
    return List.of(
        new GuestLogFile(GENERAL, GuestLogType.USER, file, general),
        new GuestLogFile(SLOW_QUERY, GuestLogType.USER, file, slow),
        new GuestLogFile(SERVER, GuestLogType.SYS, file, true));
  }

  void set(String name, boolean enabled) {
    synchronized (server) {
      GuestLogSettings settings = GuestLogSettings.load(server.agentDir()).with(name, enabled);
      settings.save(server.agentDir());
      if (server.isInitialized()) {
        server.writeEngineFile(context.dataDir().resolve(FILE), render(settings));
      }
      if (server.pid().isPresent()) {
        reload();
      }
    }
  }

  /**
   * The file the logging collector writes now: the newest {@code postgresql-*.log}, or today's name
   * before the first one exists.
   */
  private Path currentFile() {
    Path dir = context.logDir();
    try (Stream<Path> files = Files.list(dir)) {
      Optional<Path> newest =
          files
              .filter(f -> f.getFileName().toString().matches("postgresql-.*\\.log"))
              .max(Comparator.comparing(PostgresGuestLogs::modified));
      if (newest.isPresent()) {
        return newest.get();
      }
    } catch (IOException e) {
      // no log directory yet
    }
    String day = LocalDate.now().getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
    return dir.resolve("postgresql-" + day + ".log");
  }

  private static long modified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Reloads and waits until the server has read its files again, so the next statement obeys. */
  private void reload() {
    try (Connection c = server.connect("postgres");
        Statement s = c.createStatement()) {
      server.reloadAndWait(s);
    } catch (SQLException e) {
      throw EngineException.failure("cannot reload the configuration: " + e.getMessage(), e);
    }
  }
}

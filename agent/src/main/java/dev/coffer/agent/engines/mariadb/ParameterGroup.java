package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The values of an instance's configuration group, validated and in canonical form (see {@link
 * MariaDbConfiguration}), kept in the agent directory like {@link ReplicationState}: {@link
 * ServerConfig} renders them as the last section of {@code my.cnf} before every start, and a
 * restore (which replaces only the data directory) keeps them. A second copy, {@value
 * #BOOTED_FILE}, records the group the running server started with, which tells what still waits
 * for a restart even after the agent restarted.
 */
record ParameterGroup(Map<String, String> values) {
  static final String FILE = "configuration.properties";
  static final String BOOTED_FILE = "configuration.booted.properties";
  static final ParameterGroup EMPTY = new ParameterGroup(Map.of());

  ParameterGroup {
    values = Map.copyOf(values);
  }

  /** The group to render into the next {@code my.cnf}; empty if none was ever applied. */
  static ParameterGroup load(Path agentDir) {
    return read(agentDir.resolve(FILE));
  }

  /** The group the running (or last started) server read at its start. */
  static ParameterGroup loadBooted(Path agentDir) {
    return read(agentDir.resolve(BOOTED_FILE));
  }

  void save(Path agentDir) {
    write(agentDir.resolve(FILE));
  }

  void saveBooted(Path agentDir) {
    write(agentDir.resolve(BOOTED_FILE));
  }

  private static ParameterGroup read(Path file) {
    if (!Files.exists(file)) {
      return EMPTY;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> values = new TreeMap<>();
    p.stringPropertyNames().forEach(name -> values.put(name, p.getProperty(name)));
    return new ParameterGroup(values);
  }

  /** Replaces the file atomically: a crash leaves the old group or the new one, never half. */
  private void write(Path file) {
    Properties p = new Properties();
    p.putAll(values);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "configuration group, written by the Coffer agent");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

package dev.coffer.agent.engine;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The USER guest logs an instance has turned on, kept in its agent directory (like its
 * configuration group) so that the engine's configuration, rewritten before every start, keeps them
 * on; a restore, which replaces only the data directory, keeps them too.
 */
public record GuestLogSettings(Set<String> enabled) {
  static final String FILE = "guest-logs.properties";

  public GuestLogSettings {
    enabled = Set.copyOf(enabled);
  }

  public boolean isEnabled(String name) {
    return enabled.contains(name);
  }

  public GuestLogSettings with(String name, boolean on) {
    Set<String> names = new TreeSet<>(enabled);
    if (on) {
      names.add(name);
    } else {
      names.remove(name);
    }
    return new GuestLogSettings(names);
  }

  public static GuestLogSettings load(Path agentDir) {
    Path file = agentDir.resolve(FILE);
    if (!Files.exists(file)) {
      return new GuestLogSettings(Set.of());
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    Set<String> names = new TreeSet<>();
    p.stringPropertyNames().stream()
        .filter(name -> "on".equals(p.getProperty(name)))
        .forEach(names::add);
    return new GuestLogSettings(names);
  }

  /** Replaces the file atomically: a crash leaves the old settings or the new ones. */
  public void save(Path agentDir) {
    Properties p = new Properties();
    enabled.forEach(name -> p.setProperty(name, "on"));
    Path file = agentDir.resolve(FILE);
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try {
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "guest logs turned on, written by the Coffer agent");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.process.OsProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Finding the MySQL-family executables on this machine, for discovery. */
final class Executables {
  private Executables() {}

  /**
   * Existing executables among {@code fixed} paths and {@code names} on the PATH, each listed once
   * by its real path (Debian's {@code mysqld} is a link to {@code mariadbd}).
   */
  static List<Path> candidates(List<String> fixed, List<String> names) {
    List<Path> paths = new ArrayList<>();
    fixed.forEach(p -> paths.add(Path.of(p)));
    String path = System.getenv().getOrDefault("PATH", "");
    for (String name : names) {
      for (String dir : path.split(":")) {
        if (!dir.isEmpty()) {
          paths.add(Path.of(dir, name));
        }
      }
    }
    Set<Path> real = new LinkedHashSet<>();
    List<Path> found = new ArrayList<>();
    for (Path p : paths) {
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        try {
          if (real.add(p.toRealPath())) {
            found.add(p);
          }
        } catch (IOException e) {
          // vanished or unreadable: not a candidate
        }
      }
    }
    return found;
  }

  /** The first existing executable among {@code fixed} paths and {@code names} on the PATH. */
  static Optional<Path> first(List<String> fixed, List<String> names) {
    return candidates(fixed, names).stream().findFirst();
  }

  /** What {@code server --version} says; empty if it cannot be run. */
  static Optional<ServerVersion> version(Path server) {
    try {
      String output =
          OsProcesses.run(
              List.of(server.toString(), "--version"),
              Optional.empty(),
              Duration.ofSeconds(15),
              Map.of());
      return ServerVersion.parse(output);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The server {@code tool --version} says the tool was built from; empty if it cannot tell. */
  static Optional<ServerVersion> toolBuild(Path tool) {
    try {
      String output =
          OsProcesses.run(
              List.of(tool.toString(), "--version"),
              Optional.empty(),
              Duration.ofSeconds(15),
              Map.of());
      return ServerVersion.parseToolBuild(output);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}

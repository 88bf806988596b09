package dev.coffer.agent.process;

import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starting, watching and stopping OS processes, optionally as another user. Engines use this so
 * that no engine package deals with {@link ProcessBuilder} details on its own.
 */
public final class OsProcesses {
  private OsProcesses() {}

  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  /** True if this JVM runs as root (then engines run as an unprivileged user). */
  public static boolean isRoot() {
    return ROOT;
  }

  /**
   * Creates the unprivileged system user (and its group) that engines run as, if it is missing.
   * Only meaningful as root; does nothing otherwise.
   */
  public static synchronized void ensureSystemUser(String user) {
    if (!ROOT) {
      return;
    }
    try {
      Process check = new ProcessBuilder("id", "-u", user).redirectErrorStream(true).start();
      check.getInputStream().readAllBytes();
      if (check.waitFor() == 0) {
        return;
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot check for user " + user + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    run(
        List.of(
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            user),
        Optional.empty(),
        Duration.ofSeconds(30),
        Map.of());
  }

  /** Prefixes {@code command} so it runs as {@code user} when we are root. */
  public static List<String> asUser(List<String> command, Optional<String> user) {
    if (user.isEmpty() || !ROOT) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add("setpriv");
    wrapped.add("--reuid=" + user.get());
    wrapped.add("--regid=" + user.get());
    wrapped.add("--init-groups");
    wrapped.add("--");
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Runs a command to completion and returns its combined output. A non-zero exit or a timeout
   * throws {@link EngineException} with the command's last output lines (callers must not pass
   * secrets on the command line; use files or stdin).
   */
  public static String run(
      List<String> command, Optional<String> user, Duration timeout, Map<String, String> env) {
    return run(command, user, timeout, env, null);
  }

  /** Like {@link #run(List, Optional, Duration, Map)} and writes {@code stdin} to the process. */
  public static String run(
      List<String> command,
      Optional<String> user,
      Duration timeout,
      Map<String, String> env,
      String stdin) {
    List<String> full = asUser(command, user);
    ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
    builder.environment().putAll(env);
    try {
      Path out = Files.createTempFile("coffer-cmd", ".out");
      try {
        builder.redirectOutput(out.toFile());
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
          if (stdin != null) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
          }
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw EngineException.failure(
              "'" + command.get(0) + "' did not finish within " + timeout.toSeconds() + " s");
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
          throw EngineException.failure(
              "'"
                  + Path.of(command.get(0)).getFileName()
                  + "' failed with exit code "
                  + process.exitValue()
                  + ": "
                  + tail(output, 800));
        }
        return output;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while running " + command.get(0), e);
    }
  }

  /**
   * Starts a long-running process whose output is appended to {@code log}. The process does not
   * depend on this JVM: it keeps running if the agent dies, and a new agent adopts it by PID.
   */
  public static Process spawn(
      List<String> command, Optional<String> user, Path log, Map<String, String> env) {
    ProcessBuilder builder =
        new ProcessBuilder(asUser(command, user))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(env);
    try {
      return builder.start();
    } catch (IOException e) {
      throw EngineException.failure("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  /**
   * True if the process runs. A zombie does not count: an engine whose agent died is re-parented to
   * PID 1, which may be slow to reap it, and a dead engine must not look alive meanwhile.
   */
  public static boolean isAlive(long pid) {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int afterName = stat.lastIndexOf(')');
      return afterName < 0 || afterName + 2 >= stat.length() || stat.charAt(afterName + 2) != 'Z';
    } catch (IOException e) {
      return !Files.isDirectory(Path.of("/proc"));
    }
  }

  /** Reads the first line of a pid file; empty if absent or unreadable. */
  public static Optional<Long> readPid(Path pidFile) {
    try {
      String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
      return first.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(first));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Sends SIGTERM, waits up to {@code grace}, then SIGKILL; returns once the process is gone. */
  public static void terminate(long pid, Duration grace) {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return;
    }
    handle.get().destroy();
    if (!waitForExit(pid, grace)) {
      handle.get().destroyForcibly();
      waitForExit(pid, Duration.ofSeconds(10));
    }
  }

  /** Waits until {@code pid} no longer runs; returns false on timeout. */
  public static boolean waitForExit(long pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (isAlive(pid)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !isAlive(pid);
      }
    }
    return true;
  }

  /**
   * Creates the directories (if absent) and gives them, recursively, to {@code user} when we are
   * root. Used for the engine's data, run and log directories.
   */
  public static void ownedDirectories(Optional<String> user, Path... dirs) {
    try {
      for (Path dir : dirs) {
        Files.createDirectories(dir);
        if (user.isPresent() && ROOT) {
          chownRecursively(dir, user.get());
        }
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot prepare directories: " + e.getMessage(), e);
    }
  }

  private static void chownRecursively(Path root, String user) throws IOException {
    UserPrincipalLookupService lookup = root.getFileSystem().getUserPrincipalLookupService();
    var owner = lookup.lookupPrincipalByName(user);
    GroupPrincipal group = lookup.lookupPrincipalByGroupName(user);
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        PosixFileAttributeView view =
            Files.getFileAttributeView(
                path, PosixFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        view.setOwner(owner);
        view.setGroup(group);
      }
    }
  }

  /** Total bytes of regular files under {@code root}; 0 if it does not exist. */
  public static long diskUsage(Path root) {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      return paths
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  private static String tail(String text, int max) {
    String trimmed = text.strip();
    return trimmed.length() <= max ? trimmed : "…" + trimmed.substring(trimmed.length() - max);
  }
}

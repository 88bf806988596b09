package dev.coffer.agent;

import ch.qos.logback.classic.LoggerContext;
import dev.coffer.agent.logging.JsonLineLayout;
import dev.coffer.agent.runtime.AgentRuntime;
import dev.coffer.api.agent.AgentConfig;
import dev.coffer.api.agent.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The guest agent process: {@code java -Dlogback.configurationFile=coffer-agent-logback.xml -jar
 * coffer-agent-all.jar <agent.json>} (the compute driver passes the logging flag). Runs until a
 * SHUTDOWN command (exit code 0) or a signal; the engine outlives a killed agent and the next one
 * adopts it.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  /**
   * Runs the agent for a moment against an address where nothing listens, then exits: the compute
   * driver runs this once with {@code -XX:ArchiveClassesAtExit} so that every later agent starts
   * from a class-data archive (about half a second faster per instance).
   */
  private static void warmUp() {
    try {
      Path dir = Files.createTempDirectory("coffer-agent-warmup");
      String datastore =
          dev.coffer.agent.engine.EngineCatalog.load().descriptors().stream()
              .map(d -> d.name())
              .findFirst()
              .orElse("redis");
      AgentConfig config =
          new AgentConfig(
              "warmup",
              "http://127.0.0.1:9",
              "warmup",
              datastore,
              "0",
              "127.0.0.1",
              9,
              dir.toString(),
              64,
              1,
              "",
              java.util.Map.of());
      Json.newMapper().readValue(Json.newMapper().writeValueAsString(config), AgentConfig.class);
      AgentRuntime runtime = AgentRuntime.create(config);
      runtime.start();
      Thread.sleep(2000);
      runtime.stop();
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (Exception e) {
      log.warn("warm-up incomplete error=\"{}\"", e.toString());
    }
    System.exit(0);
  }

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--warmup")) {
      warmUp();
      return;
    }
    if (args.length != 1) {
      System.err.println("usage: java -jar coffer-agent-all.jar <agent.json>");
      System.exit(2);
    }
    AgentConfig config;
    try {
      config = Json.newMapper().readValue(Path.of(args[0]).toFile(), AgentConfig.class);
    } catch (IOException e) {
      System.err.println("cannot read agent config " + args[0] + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    MDC.put(AgentRuntime.MDC_INSTANCE, config.instanceId());
    // This process serves one instance: its threads that never set the MDC (HTTP clients, JVM
    // hooks) are about it too, and the JSON layout reads the id from the logger context.
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty(JsonLineLayout.INSTANCE_ID, config.instanceId());
    }
    Path pidFile = Path.of(config.instanceDir()).resolve("agent.pid");
    writePid(pidFile);

    AgentRuntime runtime;
    try {
      runtime = AgentRuntime.create(config);
    } catch (IllegalArgumentException e) {
      log.error("cannot run this instance error=\"{}\"", e.getMessage());
      deleteQuietly(pidFile);
      System.exit(2);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  runtime.stop();
                  deleteQuietly(pidFile);
                },
                "agent-shutdown-hook"));
    runtime.start();
    runtime.exitRequested().join();
    log.info("agent exiting (engine shut down on request, or instance gone)");
    System.exit(0); // runs the shutdown hook
  }

  private static void writePid(Path pidFile) {
    try {
      Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
      Files.writeString(tmp, ProcessHandle.current().pid() + "\n");
      Files.move(tmp, pidFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + pidFile, e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // the next agent overwrites it
    }
  }
}

package dev.coffer.server.compute.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.AgentConfig;
import dev.coffer.server.compute.ComputeDriver;
import dev.coffer.server.compute.InstanceLaunch;
import dev.coffer.server.compute.Placement;
import dev.coffer.server.identity.PasswordHasher;
import dev.coffer.server.logging.LogFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as local processes: one guest agent JVM (in its own session, so it outlives a
 * server crash and a terminal's Ctrl-C) which runs the engine as the unprivileged engine user. Each
 * instance has its own loopback address, port and directory {@code <home>/instances/<id>}; its data
 * lives on its own loop-mounted ext4 volume of the requested size when Coffer runs as root (a real
 * quota), otherwise in a plain directory.
 */
public final class LocalComputeDriver implements ComputeDriver {
  private static final Logger log = LoggerFactory.getLogger(LocalComputeDriver.class);

  private final Path instancesDir;
  private final Volumes volumes;
  private final Path agentJar;
  private final String controlPlaneUrl;
  private final Optional<String> engineUser;
  private final AccessRules accessRules;
  private final ObjectMapper json;
  private final Path classArchive;
  private final LogFormat logFormat;

  public LocalComputeDriver(
      Path home,
      Path agentJar,
      String controlPlaneUrl,
      Optional<String> engineUser,
      boolean loopVolumes,
      ObjectMapper json,
      LogFormat logFormat) {
    this.logFormat = logFormat;
    this.instancesDir = home.resolve("instances");
    this.agentJar = agentJar;
    this.controlPlaneUrl = controlPlaneUrl;
    this.engineUser = engineUser;
    this.json = json;
    this.accessRules = new AccessRules();
    try {
      Files.createDirectories(instancesDir);
      // The engine user must be able to reach its data directory through every parent.
      for (Path p = instancesDir; p != null && p.startsWith(home); p = p.getParent()) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + instancesDir, e);
    }
    engineUser.ifPresent(OsProcesses::ensureSystemUser);
    this.volumes = new Volumes(home.resolve("volumes"), loopVolumes);
    this.classArchive = home.resolve("cache").resolve(archiveName(agentJar));
    Thread archiver = new Thread(this::buildClassArchive, "agent-class-archive");
    archiver.setDaemon(true);
    archiver.start();
  }

  /** One archive per agent jar build: a new jar gets a new archive. */
  private static String archiveName(Path jar) {
    try {
      return "agent-" + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis() + ".jsa";
    } catch (IOException e) {
      return "agent-unknown.jsa";
    }
  }

  /**
   * Builds the agents' class-data archive once (a warm-up run with {@code
   * -XX:ArchiveClassesAtExit}); agents started after it exists start about twice as fast.
   */
  private void buildClassArchive() {
    if (Files.exists(classArchive)) {
      return;
    }
    try {
      Files.createDirectories(classArchive.getParent());
      try (Stream<Path> old = Files.list(classArchive.getParent())) {
        old.filter(p -> p.getFileName().toString().contains(".jsa"))
            .forEach(p -> p.toFile().delete());
      }
      Path building = classArchive.resolveSibling(classArchive.getFileName() + ".building");
      OsProcesses.run(
          List.of(
              javaBinary(),
              "-XX:ArchiveClassesAtExit=" + building,
              "-Dlogback.configurationFile=coffer-agent-logback.xml",
              "-jar",
              agentJar.toString(),
              "--warmup"),
          Optional.empty(),
          Duration.ofMinutes(2),
          Map.of());
      if (Files.exists(building)) {
        Files.move(building, classArchive, StandardCopyOption.ATOMIC_MOVE);
        log.info("event=agent_class_archive_ready path={}", classArchive);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("event=agent_class_archive_failed error=\"{}\"", e.getMessage());
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public boolean usesLoopVolumes() {
    return volumes.loop();
  }

  private Path dir(String instanceId) {
    if (!instanceId.matches("[0-9a-f-]{36}")) {
      throw new IllegalArgumentException("not an instance id: " + instanceId);
    }
    return instancesDir.resolve(instanceId);
  }

  @Override
  public synchronized Placement ensureRunning(InstanceLaunch launch) {
    Path dir = dir(launch.instanceId());
    Path configFile = dir.resolve("agent.json");
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path agentDir = dir.resolve("agent");
      Files.createDirectories(agentDir);
      Files.setPosixFilePermissions(agentDir, PosixFilePermissions.fromString("rwx------"));
      volumes.ensureMounted(launch.instanceId(), launch.volumeGb(), dir.resolve("data"));
      AgentConfig config;
      if (Files.exists(configFile)) {
        AgentConfig written = json.readValue(configFile.toFile(), AgentConfig.class);
        // Address, port and secret stay for the instance's life; size and version follow the
        // instance (a resize or an upgrade), taking effect when its agent starts next.
        config =
            new AgentConfig(
                written.instanceId(),
                written.controlPlaneUrl(),
                written.secret(),
                written.datastore(),
                launch.datastoreVersion(),
                written.bindAddress(),
                written.port(),
                written.instanceDir(),
                launch.memoryMb(),
                (long) launch.volumeGb() << 30,
                written.runAsUser(),
                launch.binaries());
        if (!config.equals(written)) {
          writeConfig(dir, config);
        }
      } else {
        config =
            new AgentConfig(
                launch.instanceId(),
                controlPlaneUrl,
                PasswordHasher.newSecret(),
                launch.datastore(),
                launch.datastoreVersion(),
                launch.address(),
                choosePort(launch.address(), launch.preferredPort()),
                dir.toString(),
                launch.memoryMb(),
                (long) launch.volumeGb() << 30,
                engineUser.orElse(""),
                launch.binaries());
        writeConfig(dir, config);
      }
      accessRules.apply(
          launch.instanceId(), config.bindAddress(), config.port(), launch.allowedCidrs());
      if (agentPid(launch.instanceId()).isPresent()) {
        return new Placement(config.port(), config.secret(), false);
      }
      List<String> command = new java.util.ArrayList<>(List.of("setsid", javaBinary()));
      if (Files.exists(classArchive)) {
        command.add("-XX:SharedArchiveFile=" + classArchive);
      }
      command.addAll(
          List.of(
              "-Xmx96m",
              "-XX:+UseSerialGC",
              "-Xss512k",
              "-Dcoffer.instance=" + launch.instanceId(),
              // Named apart from logback.xml so it never competes with the server's own config;
              // the agent writes its lines in the server's format.
              "-Dlogback.configurationFile="
                  + (logFormat == LogFormat.JSON
                      ? "coffer-agent-logback-json.xml"
                      : "coffer-agent-logback.xml"),
              "-jar",
              agentJar.toString(),
              configFile.toString()));
      Process process =
          OsProcesses.spawn(command, Optional.empty(), dir.resolve("agent.log"), Map.of());
      Files.writeString(dir.resolve("agent.pid"), Long.toString(process.pid()));
      log.info(
          "event=agent_started instance={} pid={} address={}:{}",
          launch.instanceId(),
          process.pid(),
          config.bindAddress(),
          config.port());
      return new Placement(config.port(), config.secret(), true);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot place instance " + launch.instanceId() + ": " + e.getMessage(), e);
    }
  }

  /** Atomically, readable by root only: the file holds the agent's secret. */
  private void writeConfig(Path dir, AgentConfig config) throws IOException {
    Path tmp = dir.resolve("agent.json.tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    json.writeValue(tmp.toFile(), config);
    Files.move(tmp, dir.resolve("agent.json"), StandardCopyOption.ATOMIC_MOVE);
  }

  private static int choosePort(String address, int preferred) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(address, preferred));
      return preferred;
    } catch (IOException busy) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(address, 0));
        return s.getLocalPort();
      }
    }
  }

  private Optional<Long> agentPid(String instanceId) {
    Path dir = dir(instanceId);
    return OsProcesses.readPid(dir.resolve("agent.pid"))
        .filter(OsProcesses::isAlive)
        .filter(pid -> cmdline(pid).contains(dir.resolve("agent.json").toString()));
  }

  @Override
  public boolean isAgentRunning(String instanceId) {
    return agentPid(instanceId).isPresent();
  }

  @Override
  public synchronized void stop(String instanceId) {
    agentPid(instanceId).ifPresent(pid -> OsProcesses.terminate(pid, Duration.ofSeconds(5)));
    List<Long> rest = processesOf(instanceId);
    rest.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));
    for (Long pid : rest) {
      if (!OsProcesses.waitForExit(pid, Duration.ofSeconds(15))) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        OsProcesses.waitForExit(pid, Duration.ofSeconds(5));
      }
    }
    if (!rest.isEmpty()) {
      log.info(
          "event=instance_processes_stopped instance={} count={}", instanceId, rest.size() + 1);
    }
  }

  @Override
  public synchronized void growVolume(String instanceId, int sizeGb) {
    Path data = dir(instanceId).resolve("data");
    try {
      volumes.grow(instanceId, sizeGb, data);
      log.info("event=volume_grown instance={} size_gb={} online=true", instanceId, sizeGb);
    } catch (RuntimeException online) {
      // Some kernels refuse an online resize (EPERM): like Trove, stop, resize, start again.
      log.info(
          "event=volume_resize_offline instance={} reason=\"{}\"",
          instanceId,
          online.getMessage().lines().reduce((a, b) -> b).orElse(""));
      stop(instanceId);
      volumes.growOffline(instanceId, sizeGb, data);
      log.info("event=volume_grown instance={} size_gb={} online=false", instanceId, sizeGb);
    }
  }

  @Override
  public synchronized void applyAccess(InstanceLaunch launch) {
    Path configFile = dir(launch.instanceId()).resolve("agent.json");
    if (!Files.exists(configFile)) {
      return; // not placed yet: ensureRunning applies the rules with the port it chooses
    }
    try {
      AgentConfig config = json.readValue(configFile.toFile(), AgentConfig.class);
      accessRules.apply(
          launch.instanceId(), config.bindAddress(), config.port(), launch.allowedCidrs());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean enforcesAccess() {
    return accessRules.available();
  }

  @Override
  public synchronized void destroy(String instanceId) {
    stop(instanceId);
    accessRules.remove(instanceId);
    Path dir = dir(instanceId);
    volumes.release(instanceId, dir.resolve("data"));
    deleteTree(dir);
    log.info("event=instance_destroyed instance={}", instanceId);
  }

  @Override
  public Set<String> presentInstances() {
    Set<String> ids = new HashSet<>(volumes.present());
    try (Stream<Path> dirs = Files.list(instancesDir)) {
      dirs.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9a-f-]{36}"))
          .forEach(ids::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ids;
  }

  @Override
  public boolean isGone(String instanceId) {
    return !Files.exists(dir(instanceId))
        && !volumes.present().contains(instanceId)
        && processesOf(instanceId).isEmpty();
  }

  /**
   * Every process that belongs to the instance: its command line names a file in the instance
   * directory, or it works inside it (engines chdir to their data directory; Redis rewrites its
   * command line, so the working directory is what finds it).
   */
  List<Long> processesOf(String instanceId) {
    String dir = dir(instanceId).toString();
    List<Long> pids = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("\\d+"))
          .map(Long::parseLong)
          .filter(pid -> pid != self)
          .forEach(
              pid -> {
                if (cmdline(pid).contains(dir + "/")
                    || cwd(pid).map(c -> c.equals(dir) || c.startsWith(dir + "/")).orElse(false)) {
                  pids.add(pid);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pids;
  }

  private static String cmdline(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")))
          .replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private static Optional<String> cwd(long pid) {
    try {
      return Optional.of(
          Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + root, e);
    }
  }
}

package dev.coffer.agent.engine;

import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.datastores.InstalledVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A real engine on its own loopback address and a fresh directory, for engine tests. Runs the
 * engine as the unprivileged {@code coffer} user when the tests run as root (as CI does). {@link
 * #close()} stops the engine and removes every file, even after a failed test.
 */
public final class EngineFixture implements AutoCloseable {
  public static final String ENGINE_USER = "coffer";

  private final Path dir;
  private final Engine engine;
  private final EngineContext context;

  private EngineFixture(Path dir, Engine engine, EngineContext context) {
    this.dir = dir;
    this.engine = engine;
    this.context = context;
  }

  /** Creates (but does not initialise or start) an engine of the newest installed version. */
  public static EngineFixture create(EngineFactory factory, int memoryMb) throws IOException {
    List<InstalledVersion> versions = factory.discover();
    if (versions.isEmpty()) {
      throw new IllegalStateException(
          factory.descriptor().name() + " is not installed; run .ci/run or apt-get install it");
    }
    InstalledVersion version = versions.get(versions.size() - 1);
    Optional<String> user = OsProcesses.isRoot() ? Optional.of(ENGINE_USER) : Optional.empty();
    user.ifPresent(OsProcesses::ensureSystemUser);
    Path base = Path.of(System.getProperty("java.io.tmpdir"), "coffer-engine-tests");
    Files.createDirectories(base);
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path dir = Files.createTempDirectory(base, factory.descriptor().name());
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String address = randomLoopbackAddress();
    int port = freePort(address, factory.descriptor().defaultPort());
    EngineContext context =
        EngineContext.of(
            "test-" + dir.getFileName(), address, port, dir, memoryMb, user, version.binaries());
    return new EngineFixture(dir, factory.create(context), context);
  }

  public Engine engine() {
    return engine;
  }

  public EngineContext context() {
    return context;
  }

  public String address() {
    return context.bindAddress();
  }

  public int port() {
    return context.port();
  }

  /** A random address in 127.88.0.0/16, so parallel tests never share one. */
  public static String randomLoopbackAddress() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "127.88." + r.nextInt(1, 255) + "." + r.nextInt(2, 255);
  }

  private static int freePort(String address, int preferred) throws IOException {
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

  @Override
  public void close() throws IOException {
    try {
      engine.stop();
    } finally {
      engine.pid().ifPresent(pid -> OsProcesses.terminate(pid, java.time.Duration.ofSeconds(5)));
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}

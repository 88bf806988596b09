package dev.coffer.agent.engines.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.datastores.InstalledVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A real Cassandra node for tests, on its own address of 127.97.0.0/16 (each node needs its own
 * address: the storage port is 7000 on all of them). Fails loudly when the runtime is missing: the
 * build makes it ({@code cassandra-runtime}), so a missing one is a broken build, not a skip.
 * {@link #close()} kills the node and removes its files, even after a failed test.
 */
final class CassandraNode implements AutoCloseable {
  static final CassandraEngineFactory FACTORY = new CassandraEngineFactory();
  static final int MEMORY_MB = 512;

  private final Path dir;
  private final EngineContext context;
  private final Engine engine;

  private CassandraNode(Path dir, EngineContext context) {
    this.dir = dir;
    this.context = context;
    this.engine = FACTORY.create(context);
  }

  /** A random third octet, so that runs (and test classes) do not share addresses. */
  static int randomSubnet() {
    return ThreadLocalRandom.current().nextInt(1, 255);
  }

  static CassandraNode create(String address) throws IOException {
    List<InstalledVersion> versions = FACTORY.discover();
    if (versions.isEmpty()) {
      throw new IllegalStateException(
          "Cassandra's runtime is missing: build it with `mvn -pl cassandra-runtime package` (or"
              + " set COFFER_CASSANDRA_LIB)");
    }
    Optional<String> user =
        OsProcesses.isRoot() ? Optional.of(EngineFixture.ENGINE_USER) : Optional.empty();
    user.ifPresent(OsProcesses::ensureSystemUser);
    Path base = Path.of(System.getProperty("java.io.tmpdir"), "coffer-engine-tests");
    Files.createDirectories(base);
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path dir = Files.createTempDirectory(base, "cassandra");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    EngineContext context =
        EngineContext.of(
            "test-" + dir.getFileName(),
            address,
            9042,
            dir,
            MEMORY_MB,
            user,
            versions.get(versions.size() - 1).binaries());
    return new CassandraNode(dir, context);
  }

  Engine engine() {
    return engine;
  }

  /** A new engine object for the same instance, as a restarted agent would make. */
  Engine freshEngine() {
    return FACTORY.create(context);
  }

  EngineContext context() {
    return context;
  }

  String address() {
    return context.bindAddress();
  }

  CqlSession connect(String user, String password) {
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress(address(), context.port()))
        .withLocalDatacenter("datacenter1")
        .withAuthCredentials(user, password)
        .withConfigLoader(
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(
                    DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(
                    DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT,
                    Duration.ofSeconds(30))
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                .build())
        .build();
  }

  /** Kills the node at once, like a crash (for failure tests). */
  void kill() {
    engine.pid().ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    engine.pid().ifPresent(pid -> OsProcesses.waitForExit(pid, Duration.ofSeconds(30)));
  }

  @Override
  public void close() throws IOException {
    try {
      engine.pid().ifPresent(pid -> OsProcesses.terminate(pid, Duration.ofSeconds(5)));
    } finally {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}

package dev.coffer.agent.engines.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Where Cassandra's jars and a Java to run them are: the {@code lib} directory the {@code
 * cassandra-runtime} module fills ({@code cassandra-runtime/target/lib}), or the one named by
 * {@value #LIB_ENV}, and this agent's own Java (17, which Cassandra 5.0 supports).
 *
 * @param version the version clients use ({@code 5.0})
 * @param fullVersion the version in the jar ({@code 5.0.9})
 */
record CassandraRuntime(Path lib, Path java, String version, String fullVersion) {
  /** Binary roles passed to the agent. */
  static final String LIB = "lib";

  static final String JAVA = "java";
  static final String LIB_ENV = "COFFER_CASSANDRA_LIB";
  private static final Path RELATIVE_LIB = Path.of("cassandra-runtime", "target", "lib");

  /**
   * The JPMS flags Cassandra 5.0 needs on Java 17 (from its {@code conf/jvm17-server.options}): it
   * reaches into JDK internals for off-heap memory, JMX and its security manager.
   */
  static final List<String> JPMS_FLAGS =
      List.of(
          "-Djdk.attach.allowAttachSelf=true",
          "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
          "--add-exports=java.sql/java.sql=ALL-UNNAMED",
          "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
          "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
          "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
          "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "-Dio.netty.tryReflectionSetAccessible=true",
          "-Dio.netty.allocator.useCacheForAllThreads=true",
          "-Dio.netty.allocator.maxOrder=11");

  /** Finds the runtime; empty when no lib directory with a cassandra-all jar exists. */
  static Optional<CassandraRuntime> discover() {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    if (!Files.isExecutable(java)) {
      return Optional.empty();
    }
    for (Path lib : candidates()) {
      Optional<Path> jar = cassandraJar(lib);
      if (jar.isPresent()) {
        Optional<String> full = versionOf(jar.get());
        if (full.isPresent()) {
          String[] parts = full.get().split("\\.");
          String version = parts.length >= 2 ? parts[0] + "." + parts[1] : full.get();
          return Optional.of(
              new CassandraRuntime(lib.toAbsolutePath().normalize(), java, version, full.get()));
        }
      }
    }
    return Optional.empty();
  }

  /** The environment variable if set (and nothing else), else the build's directory nearby. */
  private static List<Path> candidates() {
    String fromEnv = System.getenv(LIB_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return List.of(Path.of(fromEnv));
    }
    List<Path> dirs = new ArrayList<>();
    Path cwd = Path.of("").toAbsolutePath();
    dirs.add(cwd.resolve(RELATIVE_LIB));
    if (cwd.getParent() != null) {
      dirs.add(cwd.getParent().resolve(RELATIVE_LIB));
    }
    // The agent's jar or classes directory sits in <repository>/agent/target.
    try {
      Path code =
          Path.of(
              CassandraRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = code; p != null; p = p.getParent()) {
        dirs.add(p.resolve(RELATIVE_LIB));
      }
    } catch (URISyntaxException | RuntimeException e) {
      // no code source: the other candidates remain
    }
    return dirs;
  }

  private static Optional<Path> cassandraJar(Path lib) {
    if (!Files.isDirectory(lib)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.list(lib)) {
      return files
          .filter(p -> p.getFileName().toString().matches("cassandra-all-[0-9].*\\.jar"))
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> versionOf(Path jar) {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      var entry = zip.getEntry("org/apache/cassandra/config/version.properties");
      if (entry == null) {
        return Optional.empty();
      }
      Properties p = new Properties();
      try (InputStream in = zip.getInputStream(entry)) {
        p.load(in);
      }
      return Optional.ofNullable(p.getProperty("CassandraVersion"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The classpath of Cassandra's JVM and tools: every jar of the lib directory. */
  static String classpath(String lib) {
    return Path.of(lib).resolve("*").toString();
  }
}

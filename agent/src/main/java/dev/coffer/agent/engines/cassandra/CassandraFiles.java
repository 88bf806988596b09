package dev.coffer.agent.engines.cassandra;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The files of one Cassandra node and how the agent renders them. {@code cassandra.yaml}, the JVM
 * options and the logback configuration are fully derived from the context, the cluster settings
 * and the configuration group, and rewritten before every start. None holds a secret.
 *
 * @param yaml {@code cassandra.yaml}, in the instance directory
 * @param jvmOptions the JVM's options as a Java argument file ({@code java @file})
 * @param logback where Cassandra logs (the {@code log} directory)
 * @param toolsLogback nodetool's logging: warnings only, to stderr
 * @param pidFile written by the agent when it spawns the JVM
 * @param systemLog Cassandra's main log
 * @param consoleLog the JVM's stdout and stderr (errors before logging is set up)
 * @param jmxPortFile the node's JMX port on 127.0.0.1, chosen once (agent directory)
 * @param clusterFile the ring settings of the last {@code configureCluster} (agent directory)
 * @param groupFile the configuration group's values (agent directory)
 * @param backupsMarker present once a backup ran: {@code incremental_backups} is on from then
 * @param restoreDir a restored backup waiting to be loaded at the next start
 */
record CassandraFiles(
    Path yaml,
    Path jvmOptions,
    Path logback,
    Path toolsLogback,
    Path pidFile,
    Path systemLog,
    Path consoleLog,
    Path jmxPortFile,
    Path clusterFile,
    Path groupFile,
    Path backupsMarker,
    Path restoreDir) {

  /** The inter-node port; every node has its own address, so all use Cassandra's default. */
  static final int STORAGE_PORT = 7000;

  static final int MIN_HEAP_MB = 256;

  static CassandraFiles of(EngineContext context) {
    Path agent = context.agentDir();
    return new CassandraFiles(
        context.instanceDir().resolve("cassandra.yaml"),
        context.instanceDir().resolve("jvm.options"),
        context.instanceDir().resolve("logback.xml"),
        context.instanceDir().resolve("logback-tools.xml"),
        context.runDir().resolve("cassandra.pid"),
        context.logDir().resolve("system.log"),
        context.logDir().resolve("console.log"),
        agent.resolve("jmx.port"),
        agent.resolve("cluster.properties"),
        agent.resolve("configuration.properties"),
        agent.resolve("incremental-backups"),
        context.dataDir().resolve("restore"));
  }

  Path dataFiles(EngineContext context) {
    return context.dataDir().resolve("data");
  }

  /** Half the flavor's RAM, at least {@value #MIN_HEAP_MB} MiB so tiny flavors still start. */
  static int heapMb(int memoryMb) {
    return Math.max(MIN_HEAP_MB, memoryMb / 2);
  }

  /** Ring settings: one node alone is a ring of one named after its instance. */
  record ClusterConfig(String name, List<String> seeds, boolean autoBootstrap) {
    static ClusterConfig single(EngineContext context) {
      return new ClusterConfig(
          "coffer-" + context.instanceId(), List.of(context.bindAddress()), false);
    }
  }

  ClusterConfig clusterConfig(EngineContext context) {
    if (!Files.exists(clusterFile)) {
      return ClusterConfig.single(context);
    }
    Properties p = load(clusterFile);
    return new ClusterConfig(
        p.getProperty("cluster_name"),
        List.of(p.getProperty("seeds").split(",")),
        Boolean.parseBoolean(p.getProperty("auto_bootstrap", "true")));
  }

  void writeClusterConfig(ClusterConfig config) {
    Map<String, String> values = new TreeMap<>();
    values.put("cluster_name", config.name());
    values.put("seeds", String.join(",", config.seeds()));
    values.put("auto_bootstrap", Boolean.toString(config.autoBootstrap()));
    store(clusterFile, values, "ring settings, written by the Coffer agent");
  }

  Map<String, String> group() {
    if (!Files.exists(groupFile)) {
      return Map.of();
    }
    Properties p = load(groupFile);
    Map<String, String> values = new TreeMap<>();
    p.stringPropertyNames().forEach(n -> values.put(n, p.getProperty(n)));
    return values;
  }

  void writeGroup(Map<String, String> values) {
    store(groupFile, values, "configuration group, written by the Coffer agent");
  }

  /** The JMX port, chosen once among the free ports of 127.0.0.1 and kept. */
  int jmxPort() {
    try {
      if (Files.exists(jmxPortFile)) {
        return Integer.parseInt(Files.readString(jmxPortFile).strip());
      }
      int port;
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        port = s.getLocalPort();
      }
      Files.createDirectories(jmxPortFile.getParent());
      atomicWrite(jmxPortFile, Integer.toString(port));
      return port;
    } catch (IOException | NumberFormatException e) {
      throw EngineException.failure("cannot choose the JMX port: " + e.getMessage(), e);
    }
  }

  // ---- rendering ----------------------------------------------------------------------------

  /** Writes cassandra.yaml, the JVM options and both logback files. */
  void render(EngineContext context) {
    ClusterConfig cluster = clusterConfig(context);
    atomicWrite(yaml, yamlText(context, cluster, group(), Files.exists(backupsMarker)));
    atomicWrite(jvmOptions, String.join("\n", jvmOptions(context, jmxPort())) + "\n");
    atomicWrite(logback, logbackText(context));
    atomicWrite(toolsLogback, TOOLS_LOGBACK);
  }

  String yamlText(
      EngineContext context,
      ClusterConfig cluster,
      Map<String, String> group,
      boolean incrementalBackups) {
    Path data = context.dataDir();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("cluster_name", quote(cluster.name()));
    settings.put("num_tokens", "16");
    settings.put("allocate_tokens_for_local_replication_factor", "3");
    settings.put("partitioner", "org.apache.cassandra.dht.Murmur3Partitioner");
    settings.put("endpoint_snitch", "SimpleSnitch");
    settings.put("authenticator", "PasswordAuthenticator");
    settings.put("authorizer", "CassandraAuthorizer");
    settings.put("role_manager", "CassandraRoleManager");
    settings.put("network_authorizer", "AllowAllNetworkAuthorizer");
    settings.put("listen_address", context.bindAddress());
    settings.put("rpc_address", context.bindAddress());
    settings.put("storage_port", Integer.toString(STORAGE_PORT));
    settings.put("native_transport_port", Integer.toString(context.port()));
    settings.put("start_native_transport", "true");
    settings.put("auto_bootstrap", Boolean.toString(cluster.autoBootstrap()));
    settings.put("data_file_directories", "[" + quote(data.resolve("data").toString()) + "]");
    settings.put("commitlog_directory", quote(data.resolve("commitlog").toString()));
    settings.put("saved_caches_directory", quote(data.resolve("saved_caches").toString()));
    settings.put("hints_directory", quote(data.resolve("hints").toString()));
    settings.put("cdc_raw_directory", quote(data.resolve("cdc_raw").toString()));
    settings.put("commitlog_sync", "periodic");
    settings.put("commitlog_sync_period", "10000ms");
    settings.put("incremental_backups", Boolean.toString(incrementalBackups));
    settings.put("snapshot_links_per_second", "0");
    // Small flavors: Cassandra sizes these from the heap; the group may override them.
    settings.put("concurrent_compactors", "2");
    for (Map.Entry<String, String> e : group.entrySet()) {
      CassandraParameters.find(e.getKey())
          .ifPresent(p -> settings.put(e.getKey(), p.yamlValue(e.getValue())));
    }
    StringBuilder out =
        new StringBuilder("# Written by the Coffer agent; changes are overwritten.\n");
    settings.forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
    String seeds =
        String.join(",", cluster.seeds().stream().map(s -> s + ":" + STORAGE_PORT).toList());
    out.append("seed_provider:\n")
        .append("  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n")
        .append("    parameters:\n")
        .append("      - seeds: ")
        .append(quote(seeds))
        .append('\n');
    return out.toString();
  }

  List<String> jvmOptions(EngineContext context, int jmxPort) {
    int heap = heapMb(context.memoryMb());
    List<String> o = new ArrayList<>();
    o.add("-Xms" + heap + "m");
    o.add("-Xmx" + heap + "m");
    o.add("-XX:MaxDirectMemorySize=" + Math.max(128, heap / 2) + "m");
    o.add("-Xss256k");
    if (heap < 2048) {
      // The serial collector has the smallest footprint, which matters more on small flavors.
      o.add("-XX:+UseSerialGC");
    } else {
      o.add("-XX:+UseG1GC");
      o.add("-XX:+ParallelRefProcEnabled");
      o.add("-XX:MaxGCPauseMillis=300");
      o.add("-XX:G1HeapRegionSize=" + (heap >= 8192 ? 16 : 4) + "m");
    }
    o.add("-XX:+ExitOnOutOfMemoryError");
    o.add("-XX:-UsePerfData");
    o.add("-Djava.net.preferIPv4Stack=true");
    o.add("-Djava.io.tmpdir=" + context.runDir());
    o.addAll(CassandraRuntime.JPMS_FLAGS);
    o.add("-Dcassandra.config=" + yaml.toUri());
    o.add("-Dcassandra-foreground=yes");
    o.add("-Dcassandra.storagedir=" + context.dataDir());
    o.add("-Dcassandra.logdir=" + context.logDir());
    o.add("-Dlogback.configurationFile=" + logback);
    // JMX only on 127.0.0.1 (nodetool runs beside the node), no remote access.
    o.add("-Dcassandra.jmx.local.port=" + jmxPort);
    o.add("-Djava.rmi.server.hostname=127.0.0.1");
    // Loopback gossip settles at once: the default waits (30 s and more) only slow starts.
    o.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    o.add("-Dcassandra.ring_delay_ms=3000");
    o.add("-Dcassandra.superuser_setup_delay_ms=0");
    return o;
  }

  private static String logbackText(EngineContext context) {
    Path log = context.logDir();
    return """
        <configuration scan="false">
          <!-- Written by the Coffer agent; changes are overwritten. -->
          <appender name="SYSTEMLOG" class="ch.qos.logback.core.rolling.RollingFileAppender">
            <file>%1$s/system.log</file>
            <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
              <fileNamePattern>%1$s/system.log.%%i.zip</fileNamePattern>
              <minIndex>1</minIndex>
              <maxIndex>5</maxIndex>
            </rollingPolicy>
            <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
              <maxFileSize>20MB</maxFileSize>
            </triggeringPolicy>
            <encoder>
              <pattern>%%-5level [%%thread] %%date{ISO8601} %%F:%%L - %%msg%%n</pattern>
            </encoder>
          </appender>
          <logger name="org.apache.cassandra" level="INFO"/>
          <root level="INFO">
            <appender-ref ref="SYSTEMLOG"/>
          </root>
        </configuration>
        """
        .formatted(log);
  }

  private static final String TOOLS_LOGBACK =
      """
      <configuration scan="false">
        <!-- Written by the Coffer agent: nodetool's own logging, warnings only. -->
        <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
          <target>System.err</target>
          <encoder><pattern>%-5level %msg%n</pattern></encoder>
        </appender>
        <root level="WARN"><appender-ref ref="STDERR"/></root>
      </configuration>
      """;

  private static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  // ---- files --------------------------------------------------------------------------------

  private static Properties load(Path file) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
      return p;
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void store(Path file, Map<String, String> values, String comment) {
    Properties p = new Properties();
    values.forEach(p::setProperty);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, comment);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Replaces a file atomically, readable by the engine's user (it holds no secret). */
  static void atomicWrite(Path file, String text) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

package dev.coffer.agent.engines.cassandra;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.process.OsProcesses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * Cassandra's {@code nodetool}, run from the same jars as the node, as a JMX client of the node's
 * port on 127.0.0.1. It runs as the agent's own user (it reads no data file), with its history file
 * in the agent directory.
 */
final class Nodetool {
  private final EngineContext context;
  private final CassandraFiles files;
  private final IntSupplier jmxPort;

  Nodetool(EngineContext context, CassandraFiles files, IntSupplier jmxPort) {
    this.context = context;
    this.files = files;
    this.jmxPort = jmxPort;
  }

  /** Runs {@code nodetool <args>} and returns its output; a non-zero exit throws. */
  String run(Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(context.binary(CassandraRuntime.JAVA));
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:-UsePerfData");
    command.addAll(CassandraRuntime.JPMS_FLAGS);
    command.add("-Dlogback.configurationFile=" + files.toolsLogback());
    command.add("-Duser.home=" + context.agentDir());
    command.add("-Dcassandra.logdir=" + context.logDir());
    command.add("-cp");
    command.add(CassandraRuntime.classpath(context.binary(CassandraRuntime.LIB)));
    command.add("org.apache.cassandra.tools.NodeTool");
    command.add("-h");
    command.add("127.0.0.1");
    command.add("-p");
    command.add(Integer.toString(jmxPort.getAsInt()));
    command.addAll(List.of(args));
    return OsProcesses.run(command, Optional.empty(), timeout, Map.of());
  }

  String run(String... args) {
    return run(Duration.ofMinutes(5), args);
  }
}

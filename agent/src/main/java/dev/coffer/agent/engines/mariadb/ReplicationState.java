package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ReplicationStatus;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * The replication role of one server, kept in the instance's agent directory so that the server's
 * configuration (written before every start) says read-only for a replica or a fenced server even
 * after a crash of the agent or the server: a restart never brings up a writable server that the
 * control plane demoted. No file means a primary (every instance starts as one).
 *
 * @param role {@link ReplicationStatus#PRIMARY}, {@link ReplicationStatus#REPLICA} or {@link
 *     ReplicationStatus#FENCED}
 * @param sourceId the instance a replica follows; null otherwise
 * @param sourceHost the address of that source; null otherwise
 * @param sourcePort the port of that source; 0 otherwise
 * @param synchronous whether the set commits semi-synchronously; kept across roles so that a
 *     promoted replica serves its own replicas the same way
 */
record ReplicationState(
    String role, String sourceId, String sourceHost, int sourcePort, boolean synchronous) {
  static final String FILE = "replication.properties";

  static final ReplicationState STANDALONE =
      new ReplicationState(ReplicationStatus.PRIMARY, null, null, 0, false);

  /** Whether client writes are refused (a replica, or a fenced former primary). */
  boolean readOnly() {
    return !ReplicationStatus.PRIMARY.equals(role);
  }

  boolean replica() {
    return ReplicationStatus.REPLICA.equals(role);
  }

  ReplicationState asPrimary() {
    return new ReplicationState(ReplicationStatus.PRIMARY, null, null, 0, synchronous);
  }

  ReplicationState asFenced() {
    return new ReplicationState(ReplicationStatus.FENCED, null, null, 0, synchronous);
  }

  ReplicationState withSynchronous(boolean value) {
    return new ReplicationState(role, sourceId, sourceHost, sourcePort, value);
  }

  static ReplicationState replicaOf(
      String sourceId, String sourceHost, int sourcePort, boolean synchronous) {
    return new ReplicationState(
        ReplicationStatus.REPLICA, sourceId, sourceHost, sourcePort, synchronous);
  }

  static ReplicationState load(Path agentDir) {
    Path file = agentDir.resolve(FILE);
    if (!Files.exists(file)) {
      return STANDALONE;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new ReplicationState(
        p.getProperty("role", ReplicationStatus.PRIMARY),
        p.getProperty("source_id"),
        p.getProperty("source_host"),
        Integer.parseInt(p.getProperty("source_port", "0")),
        Boolean.parseBoolean(p.getProperty("synchronous", "false")));
  }

  /** Replaces the file atomically: a crash leaves the old role or the new one, never half. */
  void save(Path agentDir) {
    Properties p = new Properties();
    p.setProperty("role", role);
    if (sourceId != null) {
      p.setProperty("source_id", sourceId);
    }
    if (sourceHost != null) {
      p.setProperty("source_host", sourceHost);
      p.setProperty("source_port", String.valueOf(sourcePort));
    }
    p.setProperty("synchronous", String.valueOf(synchronous));
    Path file = agentDir.resolve(FILE);
    Path tmp = agentDir.resolve(FILE + ".tmp");
    try {
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "replication role, written by the Coffer agent");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

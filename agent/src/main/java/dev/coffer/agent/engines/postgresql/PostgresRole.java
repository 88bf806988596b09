package dev.coffer.agent.engines.postgresql;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationStatus;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;

/**
 * The replication role of one instance, persisted in the agent directory so that every start of the
 * server (after a crash of the engine or of the agent) comes up the same way: a writable primary, a
 * read-only replica of its source, or fenced (read-only, replicating from nobody).
 *
 * @param role {@link ReplicationStatus#PRIMARY}, {@link ReplicationStatus#REPLICA} or {@link
 *     ReplicationStatus#FENCED}
 * @param sourceId the source's instance id (a replica only)
 * @param sourceHost the source's address (a replica only)
 * @param sourcePort the source's port (a replica only)
 * @param synchronous whether the set commits synchronously; kept in every role, so that a replica
 *     promoted later serves its own replicas the same way
 */
record PostgresRole(
    String role, String sourceId, String sourceHost, int sourcePort, boolean synchronous) {
  private static final String FILE = "replication.properties";

  /** An instance that never joined a replication set. */
  static final PostgresRole STANDALONE =
      new PostgresRole(ReplicationStatus.PRIMARY, null, null, 0, false);

  static PostgresRole replicaOf(ReplicaSetup setup) {
    return new PostgresRole(
        ReplicationStatus.REPLICA,
        setup.sourceId(),
        setup.sourceHost(),
        setup.sourcePort(),
        setup.synchronous());
  }

  boolean isPrimary() {
    return ReplicationStatus.PRIMARY.equals(role);
  }

  boolean isReplica() {
    return ReplicationStatus.REPLICA.equals(role);
  }

  PostgresRole promoted() {
    return new PostgresRole(ReplicationStatus.PRIMARY, null, null, 0, synchronous);
  }

  PostgresRole fenced() {
    return new PostgresRole(ReplicationStatus.FENCED, null, null, 0, synchronous);
  }

  PostgresRole withSynchronous(boolean value) {
    return new PostgresRole(role, sourceId, sourceHost, sourcePort, value);
  }

  static PostgresRole load(Path agentDir) {
    Path file = agentDir.resolve(FILE);
    if (!Files.exists(file)) {
      return STANDALONE;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new PostgresRole(
        p.getProperty("role", ReplicationStatus.PRIMARY),
        p.getProperty("sourceId"),
        p.getProperty("sourceHost"),
        Integer.parseInt(p.getProperty("sourcePort", "0")),
        Boolean.parseBoolean(p.getProperty("synchronous", "false")));
  }

  /** Replaces the file atomically: a crash leaves the old role or the new one, never half. */
  void save(Path agentDir) {
    Properties p = new Properties();
    p.setProperty("role", role);
    if (sourceId != null) {
      p.setProperty("sourceId", sourceId);
      p.setProperty("sourceHost", sourceHost);
      p.setProperty("sourcePort", String.valueOf(sourcePort));
    }
    p.setProperty("synchronous", String.valueOf(synchronous));
    Path file = agentDir.resolve(FILE);
    Path tmp = agentDir.resolve(FILE + ".tmp");
    try {
      StringWriter text = new StringWriter();
      p.store(text, "Coffer: this instance's replication role");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, text.toString());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}

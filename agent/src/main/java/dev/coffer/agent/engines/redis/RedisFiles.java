package dev.coffer.agent.engines.redis;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The files of one Redis instance and how the agent writes them. Nothing written here holds a
 * plaintext password: the ACL file only ever carries SHA-256 hashes.
 *
 * @param config {@code redis.conf}, in the instance directory (derived from the context only)
 * @param aclFile users and their password hashes, rewritten by Redis on {@code ACL SAVE}
 * @param pidFile written by redis-server itself
 * @param logFile redis-server's own log
 * @param consoleLog redis-server's stdout and stderr (errors before the log file is open)
 * @param rdbFile the RDB snapshot {@code BGSAVE} writes ({@code dbfilename} in {@code dir})
 * @param aofDir the multi-part append-only file: a base (an RDB), increments and a manifest
 * @param replicationConfig the instance's replication role ({@code replicaof}, {@code masteruser},
 *     {@code masterauth}), included at the end of {@link #config}; owner only, since it holds the
 *     replication password (see {@link RedisReplication})
 * @param groupConfig the instance's configuration group, included after Coffer's own settings (so
 *     it wins over them) and before {@link #replicationConfig} (so the role still wins); owner only
 *     (see {@link RedisConfiguration})
 * @param clusterConfig the instance's Redis Cluster settings ({@code cluster-enabled}, its bus
 *     address, the members' shared account for replicas), included after {@link #groupConfig};
 *     empty for an instance outside a cluster; owner only (see {@link RedisCluster})
 * @param nodesFile Redis Cluster's own state file ({@code cluster-config-file}), written by Redis
 */
record RedisFiles(
    Path config,
    Path aclFile,
    Path pidFile,
    Path logFile,
    Path consoleLog,
    Path rdbFile,
    Path aofDir,
    Path replicationConfig,
    Path groupConfig,
    Path clusterConfig,
    Path nodesFile) {

  static final String RDB_FILE_NAME = "dump.rdb";
  static final String AOF_DIR_NAME = "appendonlydir";
  static final String AOF_FILE_NAME = "appendonly.aof";

  /** Smallest maxmemory we configure, so tiny flavors still leave Redis room to work. */
  static final long MIN_MAXMEMORY_MB = 32;

  static RedisFiles of(EngineContext context) {
    return new RedisFiles(
        context.instanceDir().resolve("redis.conf"),
        context.dataDir().resolve("users.acl"),
        context.runDir().resolve("redis-server.pid"),
        context.logDir().resolve("redis-server.log"),
        context.logDir().resolve("redis-server.out"),
        context.dataDir().resolve(RDB_FILE_NAME),
        context.dataDir().resolve(AOF_DIR_NAME),
        context.dataDir().resolve("replication.conf"),
        context.dataDir().resolve("configuration.conf"),
        context.dataDir().resolve("cluster.conf"),
        context.dataDir().resolve("nodes.conf"));
  }

  /** About 75% of the flavor's RAM: the rest is for Redis' own overhead, forks and buffers. */
  static long maxMemoryMb(int memoryMb) {
    return Math.max(MIN_MAXMEMORY_MB, memoryMb * 3L / 4);
  }

  /** A sixteenth of the flavor's RAM, at least Redis' own default of 1 MB. */
  static long replBacklogMb(int memoryMb) {
    return Math.max(1, memoryMb / 16);
  }

  /** The configuration, fully derived from the context, so rewriting it is always safe. */
  String configText(EngineContext context) {
    return String.join(
        "\n",
        List.of(
            "# Written by the Coffer agent; changes are overwritten.",
            "bind " + context.bindAddress(),
            "port " + context.port(),
            "dir " + context.dataDir(),
            "pidfile " + pidFile,
            "logfile " + logFile,
            "daemonize no",
            "protected-mode yes",
            "appendonly yes",
            // Redis' defaults, spelled out because backup and restore rely on these names.
            "dbfilename " + RDB_FILE_NAME,
            "appenddirname " + AOF_DIR_NAME,
            "appendfilename " + AOF_FILE_NAME,
            "maxmemory " + maxMemoryMb(context.memoryMb()) + "mb",
            "maxmemory-policy noeviction",
            // With an ACL file, requirepass is ignored: every user, the admin too, lives there.
            "aclfile " + aclFile,
            // Replication: a new replica gets the snapshot streamed at once, never through a file
            // on the source; a replica refuses clients' writes; the backlog lets a replica that
            // was briefly away (or a demoted primary) resume with a partial resync.
            "repl-diskless-sync yes",
            "repl-diskless-sync-delay 0",
            "replica-read-only yes",
            "repl-backlog-size " + replBacklogMb(context.memoryMb()) + "mb",
            // The configuration group: over Coffer's defaults above, under the role below.
            "include " + groupConfig,
            // Cluster mode, when the instance is a member of a Redis Cluster (else empty).
            "include " + clusterConfig,
            // Last, so that the role written by the agent wins over anything above.
            "include " + replicationConfig,
            ""));
  }

  /**
   * The first ACL file: the {@code default} user (which would otherwise let anyone in without a
   * password) is switched off and the agent's admin user gets every permission.
   */
  static String initialAcl(String adminUser, String adminPassword) {
    return "user default off resetkeys resetchannels -@all\n"
        + "user "
        + adminUser
        + " on #"
        + sha256Hex(adminPassword)
        + " ~* &* +@all\n";
  }

  void writeConfig(EngineContext context) {
    writeAtomically(config, configText(context), "rw-r--r--");
  }

  void writeInitialAcl(String adminUser, String adminPassword) {
    writeAcl(initialAcl(adminUser, adminPassword));
  }

  /**
   * Replaces the replication role file (read by redis-server at its next start). Owner only: it may
   * hold the replication password, which Redis can only read from its configuration.
   */
  void writeReplicationConfig(String text) {
    writeAtomically(replicationConfig, text, "rw-------");
  }

  /** Replaces the configuration group (read by redis-server at its next start). */
  void writeGroupConfig(String text) {
    writeAtomically(groupConfig, text, "rw-------");
  }

  /** Replaces the cluster settings (read by redis-server at its next start). */
  void writeClusterConfig(String text) {
    writeAtomically(clusterConfig, text, "rw-------");
  }

  /** Replaces the ACL file (read by redis-server at its next start). */
  void writeAcl(String acl) {
    writeAtomically(aclFile, acl, "rw-------");
  }

  /** Redis' own password hash format for {@code #<hash>} rules: lowercase hex SHA-256. */
  static String sha256Hex(String password) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(password.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static void writeAtomically(Path target, String content, String permissions) {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + target + ": " + e.getMessage(), e);
    }
  }
}

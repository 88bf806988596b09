package dev.coffer.agent.engines.mongodb;

import dev.coffer.agent.engine.EngineContext;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What {@code mongod.conf} says for one instance. The agent rewrites the file before every start,
 * so a new agent version's settings reach old instances.
 *
 * <p>Every instance runs as a one-member replica set ({@value #REPLICA_SET}): {@code mongodump
 * --oplog} needs an oplog for a consistent backup of a running server, and replicas later join the
 * same set. A replica set with access control needs a key file for its members' internal
 * authentication; mongod refuses a key file others can read.
 *
 * @param cacheSizeGb WiredTiger's cache: see {@link #cacheSizeGb(int)}
 */
record MongoDbConfig(
    Path dbPath,
    Path logFile,
    String bindIp,
    int port,
    Path pidFile,
    Path keyFile,
    String replicaSet,
    double cacheSizeGb) {

  static final String FILE_NAME = "mongod.conf";
  static final String REPLICA_SET = "coffer";

  /** MongoDB's smallest allowed cache. */
  static final double MIN_CACHE_GB = 0.25;

  static MongoDbConfig of(EngineContext context) {
    return new MongoDbConfig(
        context.dataDir(),
        context.logDir().resolve("mongod.log"),
        context.bindAddress(),
        context.port(),
        context.runDir().resolve("mongod.pid"),
        keyFile(context),
        REPLICA_SET,
        cacheSizeGb(context.memoryMb()));
  }

  /** The copy mongod reads (owned by the engine user, mode 0400), rewritten before each start. */
  static Path keyFile(EngineContext context) {
    return context.runDir().resolve("mongod.keyfile");
  }

  /**
   * MongoDB's own default, 50% of (RAM - 1 GB), taken from the flavor's RAM rather than the
   * machine's (many instances share one machine), with MongoDB's floor of 0.25 GB, in steps of 0.01
   * GB.
   */
  static double cacheSizeGb(int memoryMb) {
    double gb = (memoryMb - 1024) / 2.0 / 1024.0;
    return Math.max(MIN_CACHE_GB, Math.floor(gb * 100) / 100);
  }

  String render() {
    return String.join(
        "\n",
        "# Written by the Coffer agent before every start; edits are overwritten.",
        "storage:",
        "  dbPath: " + quoted(dbPath.toString()),
        "  wiredTiger:",
        "    engineConfig:",
        "      cacheSizeGB: " + String.format(Locale.ROOT, "%.2f", cacheSizeGb),
        "systemLog:",
        "  destination: file",
        "  path: " + quoted(logFile.toString()),
        "  logAppend: true",
        "net:",
        "  bindIp: " + quoted(bindIp),
        "  port: " + port,
        // The default socket is /tmp/mongodb-<port>.sock, shared by every instance on that port.
        "  unixDomainSocket:",
        "    enabled: false",
        "processManagement:",
        "  fork: false",
        "  pidFilePath: " + quoted(pidFile.toString()),
        "security:",
        "  authorization: enabled",
        "  keyFile: " + quoted(keyFile.toString()),
        "replication:",
        "  replSetName: " + quoted(replicaSet),
        "");
  }

  /** A YAML double-quoted scalar (JSON escapes are valid YAML). */
  static String quoted(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}

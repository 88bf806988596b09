package dev.coffer.agent.engines.mongodb;

import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The command lines of the MongoDB database tools. A password never appears on them (any user of
 * the machine can read a command line in {@code /proc}): the tools read it from a YAML file given
 * with {@code --config}, which the tools accept for {@code password} (and only a few other
 * options), written mode 0600 in the agent's own directory.
 *
 * @param host the instance's address
 * @param user the account the tools log in as, in the {@code admin} database
 * @param configFile the 0600 file holding that account's password
 */
record MongoDbTools(String host, int port, String user, Path configFile) {

  /**
   * A full dump to stdout: {@code --oplog} adds the oplog written while the dump ran, so that a
   * restore replays it up to one point in time (a consistent backup of a running server).
   */
  List<String> dumpCommand(String mongodump) {
    return List.of(
        mongodump,
        "--host=" + host,
        "--port=" + port,
        "--username=" + user,
        "--authenticationDatabase=" + MongoDbEngineFactory.AUTH_DB,
        "--config=" + configFile,
        "--archive",
        "--oplog");
  }

  /**
   * A restore from stdin into an empty instance, replaying the dump's oplog. No {@code --drop}: the
   * instance is new, and dropping would also drop every account not in the backup, the agent's
   * temporary restore account included.
   */
  List<String> restoreCommand(String mongorestore) {
    return List.of(
        mongorestore,
        "--host=" + host,
        "--port=" + port,
        "--username=" + user,
        "--authenticationDatabase=" + MongoDbEngineFactory.AUTH_DB,
        "--config=" + configFile,
        "--archive",
        "--oplogReplay");
  }

  /** The {@code --config} file's content. */
  static String configText(String password) {
    return "password: " + MongoDbConfig.quoted(password) + "\n";
  }

  /** Writes the password file atomically, readable by its owner (the agent) only. */
  static void writeConfig(Path file, String password) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, configText(password), StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

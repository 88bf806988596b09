package dev.coffer.agent.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The datastore version that last ran an instance's data, recorded in the data directory itself
 * (file {@value #FILE}) so that it travels with the data: the agent compares it with the version it
 * runs to know when an {@link UpgradableEngine} must upgrade the data first.
 *
 * @param version the version name, for example {@code 10.11}
 * @param binaries that version's executables by role (pg_upgrade needs the old ones)
 */
public record DataVersion(String version, Map<String, String> binaries) {
  public static final String FILE = ".coffer-version.json";
  private static final ObjectMapper JSON = Json.newMapper();

  public DataVersion {
    binaries = binaries == null ? Map.of() : Map.copyOf(binaries);
  }

  /** The record in {@code dataDir}; empty if there is none (new data, or data from before it). */
  public static Optional<DataVersion> read(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), DataVersion.class));
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the record atomically. World-readable (it holds no secret) so that the engine's own
   * tools, running as the engine user, can copy the data directory with it (pg_basebackup).
   */
  public void write(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    Path tmp = dataDir.resolve(FILE + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
      JSON.writeValue(tmp.toFile(), this);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

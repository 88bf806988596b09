package dev.coffer.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * What {@code coffer login} remembers in {@code ~/.config/coffer/config.json}. Besides the three
 * settings every command needs ({@code url}, {@code token}, {@code project_id}) it keeps the
 * token's public id so {@code coffer logout} can revoke it, and the user and project names for
 * messages.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Config(
    String url,
    String token,
    @JsonProperty("token_id") String tokenId,
    @JsonProperty("project_id") String projectId,
    @JsonProperty("project_name") String projectName,
    String user) {

  static final Config EMPTY = new Config(null, null, null, null, null, null);

  Config withoutToken() {
    return new Config(url, null, null, projectId, projectName, user);
  }

  static Config load(Path file, ObjectMapper mapper) {
    if (!Files.exists(file)) {
      return EMPTY;
    }
    try {
      return mapper.readValue(file.toFile(), Config.class);
    } catch (IOException e) {
      throw new CliException(
          "cannot read the config file " + file + ": " + e.getMessage(),
          "fix or delete it, then run 'coffer login'");
    }
  }

  /**
   * Writes the file readable by its owner only (it holds a token): a 0600 temporary file in the
   * same directory is renamed over the old one, so the token is never briefly world-readable.
   */
  void save(Path file, ObjectMapper mapper) {
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    try {
      if (!Files.isDirectory(dir)) {
        if (posix) {
          Files.createDirectories(dir, attributes("rwx------"));
        } else {
          Files.createDirectories(dir);
        }
      }
      Path tmp =
          posix
              ? Files.createTempFile(dir, ".config", ".tmp", attributes("rw-------"))
              : Files.createTempFile(dir, ".config", ".tmp");
      try {
        mapper.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), this);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new CliException(
          "cannot write the config file " + file + ": " + e.getMessage(),
          "check that its directory is writable, or point COFFER_CONFIG elsewhere");
    }
  }

  private static FileAttribute<?> attributes(String permissions) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions));
  }
}

package dev.coffer.backup.storage.file;

import dev.coffer.backup.storage.AbortableOutputStream;
import dev.coffer.backup.storage.BackupStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Backups as files under a root directory, one file per key. A file is written under {@code
 * .incoming/} and renamed into place atomically when complete, so a reader never sees a partial
 * backup. Files and directories are private to the owner (0600/0700).
 */
public final class FileBackupStore implements BackupStore {
  static final String INCOMING = ".incoming";
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIR =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path root;

  public FileBackupStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  @Override
  public AbortableOutputStream create(String key) throws IOException {
    Path target = path(key);
    Path incoming = directories(root.resolve(INCOMING));
    Path temp = Files.createTempFile(incoming, "upload-", ".partial", PRIVATE_FILE);
    return new FileUpload(temp, target);
  }

  @Override
  public InputStream open(String key) throws IOException {
    return new BufferedInputStream(Files.newInputStream(path(key)), 1 << 16);
  }

  @Override
  public boolean exists(String key) {
    return Files.isRegularFile(path(key));
  }

  @Override
  public long size(String key) throws IOException {
    Path file = path(key);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(locationRef(key));
    }
    return Files.size(file);
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(path(key));
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    BackupStore.requireValidPrefix(prefix);
    // Walk only the deepest directory the prefix names, not the whole store.
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
    List<String> keys = new ArrayList<>();
    if (!Files.isDirectory(start)) {
      return keys;
    }
    Files.walkFileTree(
        start,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            return dir.getFileName().toString().startsWith(".") && !dir.equals(start)
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String key =
                root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
            if (attrs.isRegularFile()
                && !file.getFileName().toString().startsWith(".")
                && key.startsWith(prefix)) {
              keys.add(key);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    keys.sort(null);
    return keys;
  }

  @Override
  public String locationRef(String key) {
    return path(key).toUri().toString();
  }

  @Override
  public int purgeIncomplete(Duration olderThan) throws IOException {
    Path incoming = root.resolve(INCOMING);
    if (!Files.isDirectory(incoming)) {
      return 0;
    }
    Instant cutoff = Instant.now().minus(olderThan);
    int removed = 0;
    try (Stream<Path> files = Files.list(incoming)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)
            && Files.deleteIfExists(file)) {
          removed++;
        }
      }
    }
    return removed;
  }

  @Override
  public String toString() {
    return "FileBackupStore[" + root + "]";
  }

  private Path path(String key) {
    return root.resolve(BackupStore.requireValidKey(key));
  }

  static Path directories(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PRIVATE_DIR);
    }
    return dir;
  }
}

package dev.coffer.backup.storage.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.backup.storage.BackupStore;
import dev.coffer.backup.storage.BackupStoreContract;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBackupStoreTest extends BackupStoreContract {
  @TempDir Path root;
  private FileBackupStore store;

  @BeforeEach
  void openStore() {
    store = new FileBackupStore(root.resolve("store"));
  }

  @Override
  protected BackupStore store() {
    return store;
  }

  @Override
  protected void corrupt(String key, long offset) throws IOException {
    try (RandomAccessFile file =
        new RandomAccessFile(root.resolve("store").resolve(key).toFile(), "rw")) {
      file.seek(offset);
      int b = file.read();
      file.seek(offset);
      file.write(b ^ 0x01);
    }
  }

  @Override
  protected void truncate(String key, long length) throws IOException {
    try (RandomAccessFile file =
        new RandomAccessFile(root.resolve("store").resolve(key).toFile(), "rw")) {
      file.setLength(length);
    }
  }

  @Override
  protected List<String> leftovers() throws IOException {
    Path incoming = root.resolve("store").resolve(".incoming");
    if (!Files.isDirectory(incoming)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(incoming)) {
      return files.map(Path::toString).toList();
    }
  }

  @Test
  void backupsArePrivateToTheirOwner() throws Exception {
    store.put("backups/inst-1/full-1.cfb", out -> out.write(1));

    Path file = root.resolve("store/backups/inst-1/full-1.cfb");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
  }

  @Test
  void theLocationIsAFileUrl() {
    assertThat(store.locationRef("backups/inst-1/full-1.cfb"))
        .isEqualTo("file://" + root.resolve("store/backups/inst-1/full-1.cfb").toAbsolutePath());
  }
}

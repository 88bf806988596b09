package dev.coffer.backup.storage.file;

import dev.coffer.backup.storage.AbortableOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a temporary file and, on close, makes it durable (fsync) and renames it over the target:
 * the target is either absent, the previous object, or the complete new one.
 */
final class FileUpload extends AbortableOutputStream {
  private static final Logger LOG = LoggerFactory.getLogger(FileUpload.class);
  private static final int BUFFER_BYTES = 1 << 16;

  private final Path temp;
  private final Path target;
  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
  private boolean failed;
  private boolean done;

  FileUpload(Path temp, Path target) throws IOException {
    this.temp = temp;
    this.target = target;
    this.channel = FileChannel.open(temp, StandardOpenOption.WRITE);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    requireOpen();
    try {
      while (len > 0) {
        int n = Math.min(len, buffer.remaining());
        buffer.put(b, off, n);
        off += n;
        len -= n;
        if (!buffer.hasRemaining()) {
          drain();
        }
      }
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public void flush() throws IOException {
    requireOpen();
    try {
      drain();
    } catch (IOException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    if (done) {
      return;
    }
    if (failed) {
      abort();
      throw new IOException("an earlier write to " + target + " failed; nothing was stored");
    }
    try {
      drain();
      channel.force(true);
      channel.close();
      FileBackupStore.directories(target.getParent());
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(target.getParent());
      done = true;
    } catch (IOException | RuntimeException e) {
      abort();
      throw e;
    }
  }

  @Override
  public void abort() {
    if (done) {
      return;
    }
    done = true;
    try {
      channel.close();
    } catch (IOException e) {
      LOG.warn("event=backup_upload_abort file={} closeError={}", temp, e.toString());
    }
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      LOG.warn("event=backup_upload_abort file={} deleteError={}", temp, e.toString());
    }
  }

  private void requireOpen() throws IOException {
    if (done) {
      throw new IOException("upload to " + target + " is already closed");
    }
  }

  private void drain() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  /**
   * Makes the rename itself durable, so a crash cannot lose a backup reported as complete. The
   * object is already in place here, so a failure is only worth a warning.
   */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      LOG.warn("event=backup_dir_sync_failed dir={} error={}", dir, e.toString());
    }
  }
}

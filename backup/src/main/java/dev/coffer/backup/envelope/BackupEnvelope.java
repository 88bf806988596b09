package dev.coffer.backup.envelope;

import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.storage.BackupStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * How a backup's bytes are stored: compressed, then encrypted with the backup's {@link DataKey}
 * (AES-256-GCM in authenticated 64 KiB frames), and checksummed (SHA-256 of the stored bytes).
 * Everything streams; memory use is a few frames whatever the backup's size. The layout is
 * described in {@link EnvelopeFormat}.
 */
public final class BackupEnvelope {
  private BackupEnvelope() {}

  /** {@link #seal(OutputStream, DataKey, Compression)} with {@link Compression#ZSTD}. */
  public static SealedOutputStream seal(OutputStream sink, DataKey key) throws IOException {
    return seal(sink, key, Compression.ZSTD);
  }

  /**
   * A stream that seals what is written to it into {@code sink}. Close it to finish the backup;
   * call {@link SealedOutputStream#abort()} on failure instead.
   */
  public static SealedOutputStream seal(OutputStream sink, DataKey key, Compression compression)
      throws IOException {
    Objects.requireNonNull(key, "key");
    FrameWriter frames =
        new FrameWriter(sink, key, compression, EnvelopeFormat.DEFAULT_FRAME_BYTES);
    return new SealedOutputStream(sink, frames, compression);
  }

  /**
   * The original bytes of a sealed backup, streamed. Reads throw {@link BackupIntegrityException}
   * if a frame fails authentication (altered data or wrong key), if the backup is truncated, or, at
   * the end, if the stored bytes do not hash to {@code expectedChecksum}. So a restore must read to
   * the end (until {@code read} returns -1) before it trusts what it has read. A wrong key or a
   * damaged start already fails here. The envelope's work runs on a thread of its own, a few
   * hundred kilobytes ahead of the caller (see {@link ReadAheadInputStream}).
   *
   * @param expectedChecksum the SHA-256 recorded when the backup was sealed
   */
  public static InputStream open(InputStream source, DataKey key, String expectedChecksum)
      throws IOException {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(expectedChecksum, "expectedChecksum");
    FrameReader frames;
    InputStream decompressed;
    try {
      frames = new FrameReader(source, key, expectedChecksum);
      decompressed = frames.compression().decompressing(frames);
    } catch (IOException | RuntimeException e) {
      source.close();
      throw e;
    }
    return new ReadAheadInputStream(new UnsealedInputStream(decompressed, frames));
  }

  /**
   * Seals what {@code body} writes into the object {@code key} of {@code store}. The object is
   * stored only if {@code body} returns normally; if it throws, nothing is stored.
   */
  public static SealedBackup store(
      BackupStore store, String key, DataKey dataKey, BackupStore.BodyWriter body)
      throws IOException {
    SealedOutputStream[] sealed = new SealedOutputStream[1];
    store.put(
        key,
        out -> {
          sealed[0] = seal(out, dataKey);
          try {
            body.writeTo(sealed[0]);
          } catch (IOException | RuntimeException | Error e) {
            sealed[0].abort();
            throw e;
          }
          sealed[0].close();
        });
    SealedOutputStream done = sealed[0];
    return new SealedBackup(
        store.locationRef(key), done.checksum(), done.bytesWritten(), done.plainBytes());
  }

  /**
   * Reads the object {@code key} to the end, proving that it decrypts with {@code dataKey} and
   * matches {@code expectedChecksum}; returns its original size.
   *
   * @throws BackupIntegrityException if it does not
   */
  public static long verify(BackupStore store, String key, DataKey dataKey, String expectedChecksum)
      throws IOException {
    try (InputStream in = open(store.open(key), dataKey, expectedChecksum)) {
      byte[] buffer = new byte[1 << 16];
      long total = 0;
      for (int n; (n = in.read(buffer)) != -1; ) {
        total += n;
      }
      return total;
    }
  }

  /** Reports the end of the data only after the envelope has verified its own end. */
  private static final class UnsealedInputStream extends InputStream {
    private final InputStream decompressed;
    private final FrameReader frames;

    UnsealedInputStream(InputStream decompressed, FrameReader frames) {
      this.decompressed = decompressed;
      this.frames = frames;
    }

    @Override
    public int read() throws IOException {
      int b = decompressed.read();
      if (b == -1) {
        frames.finish();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = decompressed.read(b, off, len);
      if (n == -1) {
        frames.finish();
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return decompressed.available();
    }

    @Override
    public void close() throws IOException {
      decompressed.close();
    }
  }
}

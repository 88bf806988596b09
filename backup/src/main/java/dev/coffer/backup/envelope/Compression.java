package dev.coffer.backup.envelope;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** How a backup's bytes are compressed before encryption; recorded in the envelope header. */
public enum Compression {
  /** Nothing: for data that is already compressed. */
  NONE(0),
  /** The JDK's gzip at its fastest level. */
  GZIP(1),
  /** Zstandard level 1: several times faster than gzip, at a similar ratio. */
  ZSTD(2);

  private static final int BUFFER_BYTES = 1 << 16;
  private static final int ZSTD_LEVEL = 1;

  /**
   * zstd's own compression threads. With any, the writer only hands its bytes over and returns, so
   * the engine's backup tool, the compression and the encryption run side by side instead of in
   * turn; with two or more, compression itself spreads over cores (it is the envelope's costliest
   * step: about 300 MB/s per core at level 1 on text-like data). The stored format is the same.
   */
  private static final int ZSTD_WORKERS =
      Math.min(4, Math.max(1, Runtime.getRuntime().availableProcessors()));

  final int code;

  Compression(int code) {
    this.code = code;
  }

  static Compression ofCode(int code) throws BackupIntegrityException {
    for (Compression c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    throw new BackupIntegrityException("unknown compression code " + code + " in backup header");
  }

  OutputStream compressing(OutputStream out) throws IOException {
    return switch (this) {
      case NONE -> out;
      case GZIP -> new FastGzipOutputStream(out);
      case ZSTD -> new ZstdOutputStreamNoFinalizer(out, ZSTD_LEVEL).setWorkers(ZSTD_WORKERS);
    };
  }

  InputStream decompressing(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(in, BUFFER_BYTES);
      case ZSTD -> new ZstdInputStreamNoFinalizer(in);
    };
  }

  /** The JDK's GZIPOutputStream offers no level setting but lets a subclass set its deflater's. */
  private static final class FastGzipOutputStream extends GZIPOutputStream {
    FastGzipOutputStream(OutputStream out) throws IOException {
      super(out, BUFFER_BYTES);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }
}

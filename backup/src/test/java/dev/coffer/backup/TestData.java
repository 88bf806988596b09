package dev.coffer.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Backup-like test data generated on the fly, so tests can stream far more bytes than the heap
 * holds: three of every four 64 KiB blocks are random (like compressed pages), the fourth is
 * text-like (like row data), so compression has something to do.
 */
public final class TestData {
  private static final int BLOCK = 1 << 16;

  private TestData() {}

  public static InputStream stream(long size, long seed) {
    return new InputStream() {
      private final byte[] block = new byte[BLOCK];
      private long produced;
      private int pos = BLOCK;
      private long blockIndex;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (produced == size) {
          return -1;
        }
        if (pos == BLOCK) {
          fill(block, seed, blockIndex++);
          pos = 0;
        }
        int n = (int) Math.min(Math.min(len, BLOCK - pos), size - produced);
        System.arraycopy(block, pos, b, off, n);
        pos += n;
        produced += n;
        return n;
      }
    };
  }

  private static void fill(byte[] block, long seed, long index) {
    SplittableRandom random = new SplittableRandom(seed * 31 + index);
    random.nextBytes(block);
    if (index % 4 == 3) {
      // Text-like: 16 letters and a newline every 64 bytes, about half as much entropy.
      for (int i = 0; i < block.length; i++) {
        block[i] = (i & 63) == 63 ? (byte) '\n' : (byte) ('a' + (block[i] & 15));
      }
    }
  }

  public static byte[] bytes(int size, long seed) {
    try {
      return stream(size, seed).readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code size} bytes of {@link #stream} to {@code out}. */
  public static void write(OutputStream out, long size, long seed) throws IOException {
    try (InputStream in = stream(size, seed)) {
      in.transferTo(out);
    }
  }

  public static String sha256(long size, long seed) {
    try {
      return sha256(stream(size, seed));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SHA-256 (hex) of everything {@code in} yields, read to its end; closes it. */
  public static String sha256(InputStream in) throws IOException {
    try (in) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) != -1; ) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

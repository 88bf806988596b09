package dev.coffer.backup.envelope;

import dev.coffer.backup.keys.DataKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * Reads frames (see {@link EnvelopeFormat}) from the source, authenticates and decrypts them, and
 * hashes every stored byte. Reports end of stream only after the final frame, the end of the source
 * and the checksum have all been verified; any failure is permanent: every later read throws it
 * again.
 */
final class FrameReader extends InputStream {
  private final InputStream source;
  private final SecretKey key;
  private final String expectedChecksum;
  private final MessageDigest sha256;
  private final Cipher cipher;
  private final byte[] header = new byte[EnvelopeFormat.HEADER_BYTES];
  private final byte[] frameHeader = new byte[EnvelopeFormat.FRAME_HEADER_BYTES];
  private final Compression compression;
  private final int frameBytes;
  private byte[] sealed = new byte[0];
  private byte[] plain = new byte[0];
  private int pos;
  private int limit;
  private long index;
  private boolean lastSeen;
  private boolean finished;
  private BackupIntegrityException failure;

  FrameReader(InputStream source, DataKey dataKey, String expectedChecksum) throws IOException {
    JitWarmup.ensureDone();
    this.source = source;
    this.key = dataKey.secretKey();
    this.expectedChecksum = expectedChecksum.strip().toLowerCase(java.util.Locale.ROOT);
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM or SHA-256 is unavailable", e);
    }
    if (readStored(header, header.length) < header.length
        || !Arrays.equals(header, 0, 4, EnvelopeFormat.MAGIC, 0, 4)) {
      throw fail("not a Coffer backup, or cut short before the end of its header");
    }
    if (header[4] != EnvelopeFormat.VERSION) {
      throw fail("unsupported backup envelope version " + (header[4] & 0xff));
    }
    compression = Compression.ofCode(header[5] & 0xff);
    frameBytes = ByteBuffer.wrap(header, 6, 4).getInt();
    if (frameBytes < 1 || frameBytes > EnvelopeFormat.MAX_FRAME_BYTES) {
      throw fail("backup header names an invalid frame size " + frameBytes);
    }
    // Reading the first frame now makes a wrong key or a corrupt start fail here, before any
    // restore work begins.
    loadFrame();
  }

  Compression compression() {
    return compression;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (len == 0) {
      return 0;
    }
    while (pos == limit) {
      if (lastSeen) {
        finish();
        return -1;
      }
      loadFrame();
    }
    int n = Math.min(len, limit - pos);
    System.arraycopy(plain, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return failure == null ? limit - pos : 0;
  }

  /**
   * Verifies the end of the backup: no data after the compressed stream, a final frame, nothing
   * after it, and the recorded checksum. Idempotent.
   */
  void finish() throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (finished) {
      return;
    }
    while (true) {
      if (pos < limit) {
        throw fail("backup frame " + (index - 1) + " holds data after the end of the backup");
      }
      if (lastSeen) {
        break;
      }
      loadFrame();
    }
    if (source.read() != -1) {
      throw fail("backup has bytes after its final frame");
    }
    String actual = HexFormat.of().formatHex(sha256.digest());
    if (!actual.equals(expectedChecksum)) {
      throw fail(
          "backup checksum mismatch: stored bytes hash to sha256 %s, expected %s"
              .formatted(actual, expectedChecksum));
    }
    finished = true;
  }

  @Override
  public void close() throws IOException {
    source.close();
  }

  private void loadFrame() throws IOException {
    int got = readStored(frameHeader, frameHeader.length);
    if (got == 0) {
      throw fail("backup is truncated: it ends after " + index + " frames without its final frame");
    }
    if (got < frameHeader.length) {
      throw fail("backup is truncated inside frame " + index);
    }
    int flags = frameHeader[0] & 0xff;
    int length = ByteBuffer.wrap(frameHeader, 1, 4).getInt();
    if ((flags & ~EnvelopeFormat.FLAG_LAST) != 0
        || length < EnvelopeFormat.TAG_BYTES
        || length > frameBytes + EnvelopeFormat.TAG_BYTES) {
      throw fail("backup frame " + index + " is corrupt (invalid frame header)");
    }
    if (sealed.length < length) {
      // Grows to at most one frame: the header bounds it.
      sealed = new byte[frameBytes + EnvelopeFormat.TAG_BYTES];
      plain = new byte[frameBytes];
    }
    if (readStored(sealed, length) < length) {
      throw fail("backup is truncated inside frame " + index);
    }
    try {
      EnvelopeFormat.init(cipher, Cipher.DECRYPT_MODE, key, header, index, flags);
      limit = cipher.doFinal(sealed, 0, length, plain, 0);
    } catch (AEADBadTagException e) {
      throw fail(
          "backup frame "
              + index
              + " failed authentication: the backup was altered, or the data key is wrong");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot decrypt backup frame " + index, e);
    }
    pos = 0;
    index++;
    lastSeen = (flags & EnvelopeFormat.FLAG_LAST) != 0;
  }

  private int readStored(byte[] b, int len) throws IOException {
    int n = source.readNBytes(b, 0, len);
    sha256.update(b, 0, n);
    return n;
  }

  private BackupIntegrityException fail(String message) {
    failure = new BackupIntegrityException(message);
    return failure;
  }
}

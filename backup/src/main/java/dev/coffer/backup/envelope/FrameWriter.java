package dev.coffer.backup.envelope;

import dev.coffer.backup.keys.DataKey;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * Encrypts what is written to it into frames (see {@link EnvelopeFormat}) and writes them to the
 * sink, hashing every stored byte. Holds one frame of plaintext and one of ciphertext. Closing it
 * writes the final frame; it never closes the sink.
 */
final class FrameWriter extends OutputStream {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int CIPHER_CHUNK_BYTES = 1 << 13;

  private final OutputStream sink;
  private final SecretKey key;
  private final Cipher cipher;
  private final byte[] header;
  private final byte[] plain;
  private final byte[] sealed;
  private final byte[] frameHeader = new byte[EnvelopeFormat.FRAME_HEADER_BYTES];
  private final MessageDigest sha256;
  private int filled;
  private long index;
  private long storedBytes;
  private boolean finished;
  private boolean discarding;

  FrameWriter(OutputStream sink, DataKey dataKey, Compression compression, int frameBytes)
      throws IOException {
    JitWarmup.ensureDone();
    this.sink = sink;
    this.key = dataKey.secretKey();
    this.plain = new byte[frameBytes];
    this.sealed = new byte[frameBytes + EnvelopeFormat.TAG_BYTES];
    byte[] nonceBase = new byte[EnvelopeFormat.NONCE_BYTES];
    RANDOM.nextBytes(nonceBase);
    this.header = EnvelopeFormat.header(compression, frameBytes, nonceBase);
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM or SHA-256 is unavailable", e);
    }
    store(header, 0, header.length);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (discarding) {
      return;
    }
    if (finished) {
      throw new IOException("sealed backup is already finished");
    }
    while (len > 0) {
      // A full frame is sealed only when more bytes come, so that the final frame, the one
      // flagged last, is never an empty one after a full one.
      if (filled == plain.length) {
        seal(false);
      }
      int n = Math.min(len, plain.length - filled);
      System.arraycopy(b, off, plain, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  /** Writes the final frame (the compressor closes this stream when it is done). */
  @Override
  public void close() throws IOException {
    if (discarding || finished) {
      return;
    }
    seal(true);
    finished = true;
    sink.flush();
  }

  /** From now on, drops everything: the backup is being abandoned. */
  void discard() {
    discarding = true;
  }

  long storedBytes() {
    return storedBytes;
  }

  String checksum() {
    return HexFormat.of().formatHex(sha256.digest());
  }

  private void seal(boolean last) throws IOException {
    int flags = last ? EnvelopeFormat.FLAG_LAST : 0;
    int length;
    try {
      EnvelopeFormat.init(cipher, Cipher.ENCRYPT_MODE, key, header, index, flags);
      // Many small calls rather than one big one: the JIT swaps in the CPU's AES and GHASH
      // instructions only once these call sites are hot, which a few large calls never make them.
      length = 0;
      for (int off = 0; off < filled; off += CIPHER_CHUNK_BYTES) {
        length +=
            cipher.update(plain, off, Math.min(CIPHER_CHUNK_BYTES, filled - off), sealed, length);
      }
      length += cipher.doFinal(plain, filled, 0, sealed, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt backup frame " + index, e);
    }
    frameHeader[0] = (byte) flags;
    frameHeader[1] = (byte) (length >>> 24);
    frameHeader[2] = (byte) (length >>> 16);
    frameHeader[3] = (byte) (length >>> 8);
    frameHeader[4] = (byte) length;
    store(frameHeader, 0, frameHeader.length);
    store(sealed, 0, length);
    filled = 0;
    index++;
  }

  private void store(byte[] b, int off, int len) throws IOException {
    sink.write(b, off, len);
    sha256.update(b, off, len);
    storedBytes += len;
  }
}

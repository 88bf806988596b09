package dev.coffer.backup.envelope;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The stored layout of a sealed backup, version 1 (all integers big-endian):
 *
 * <pre>
 * header: magic "CFBK" | version u8 = 1 | compression u8 | frame size u32 | nonce base 12 bytes
 * frame*: flags u8 (bit 0 = last frame) | length u32 | AES-256-GCM ciphertext with 16-byte tag
 * </pre>
 *
 * Each frame encrypts at most {@code frame size} bytes of compressed data. Its nonce is the nonce
 * base with the frame's index XORed into the last 8 bytes, and its additional authenticated data is
 * the whole header, the frame index and the flags: a frame moved, dropped, altered or taken from
 * another backup fails authentication, and a stream that ends without a frame flagged last is
 * truncated. Exactly one frame, the final one, is flagged last.
 */
final class EnvelopeFormat {
  static final byte[] MAGIC = {'C', 'F', 'B', 'K'};
  static final int VERSION = 1;
  static final int NONCE_BYTES = 12;
  static final int HEADER_BYTES = MAGIC.length + 1 + 1 + 4 + NONCE_BYTES;
  static final int TAG_BYTES = 16;
  static final int FRAME_HEADER_BYTES = 1 + 4;
  static final int FLAG_LAST = 1;
  static final int DEFAULT_FRAME_BYTES = 1 << 16;
  static final int MAX_FRAME_BYTES = 16 << 20;

  private EnvelopeFormat() {}

  static byte[] header(Compression compression, int frameBytes, byte[] nonceBase) {
    return ByteBuffer.allocate(HEADER_BYTES)
        .put(MAGIC)
        .put((byte) VERSION)
        .put((byte) compression.code)
        .putInt(frameBytes)
        .put(nonceBase)
        .array();
  }

  /** Prepares {@code cipher} for frame {@code index}. */
  static void init(
      Cipher cipher, int mode, javax.crypto.SecretKey key, byte[] header, long index, int flags)
      throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE_BYTES];
    System.arraycopy(header, HEADER_BYTES - NONCE_BYTES, nonce, 0, NONCE_BYTES);
    for (int i = 0; i < 8; i++) {
      nonce[NONCE_BYTES - 1 - i] ^= (byte) (index >>> (8 * i));
    }
    cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
    cipher.updateAAD(header);
    cipher.updateAAD(ByteBuffer.allocate(9).putLong(index).put((byte) flags).array());
  }
}

package dev.coffer.backup.envelope;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Once per JVM, runs a few thousand tiny AES-GCM and SHA-256 operations on a throwaway key (about
 * 0.3 s). HotSpot uses the CPU's AES, GHASH and SHA instructions only in compiled callers, and
 * compiles a caller after thousands of calls: a backup makes one call per 64 KiB frame, so without
 * this the first hundreds of megabytes of a restore would crawl through the pure-Java fallbacks at
 * ~50 MB/s instead of streaming at disk speed.
 */
final class JitWarmup {
  private static final int ROUNDS = 10_000;

  private JitWarmup() {}

  static void ensureDone() {
    if (!Holder.DONE) {
      throw new IllegalStateException("unreachable");
    }
  }

  private static final class Holder {
    static final boolean DONE = warm();
  }

  private static boolean warm() {
    try {
      SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      byte[] nonce = new byte[EnvelopeFormat.NONCE_BYTES];
      byte[] plain = new byte[256];
      byte[] sealed = new byte[plain.length + EnvelopeFormat.TAG_BYTES];
      for (int i = 0; i < ROUNDS; i++) {
        nonce[0] = (byte) i;
        nonce[1] = (byte) (i >>> 8);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        int n = cipher.update(plain, 0, 32, sealed, 0);
        n += cipher.doFinal(plain, 32, 32, sealed, n);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.doFinal(sealed, 0, n, plain, 0);
        sha256.update(plain, 0, plain.length);
      }
      sha256.digest();
      return true;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM or SHA-256 is unavailable", e);
    }
  }
}

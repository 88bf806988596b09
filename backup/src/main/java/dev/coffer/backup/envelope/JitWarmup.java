package dev.coffer.backup.envelope;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
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
 *
 * <p>Only HotSpot's optimising compiler (C2) uses those instructions. A JVM started with {@code
 * -XX:TieredStopAtLevel=1} or lower never runs it, so the warm-up would buy nothing there and is
 * skipped: such a JVM encrypts at ~25 MB/s and hashes at ~100 MB/s whatever it does (measured on
 * JDK 17, see docs/benchmarks.md).
 */
final class JitWarmup {
  private static final int ROUNDS = 10_000;
  private static final int OPTIMISING_TIER = 4;

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
    if (!optimisingCompilerAvailable()) {
      return true;
    }
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

  /** False when the JVM stops compiling below C2; true when that cannot be told (warm up then). */
  private static boolean optimisingCompilerAvailable() {
    try {
      HotSpotDiagnosticMXBean hotspot =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      return hotspot == null
          || Integer.parseInt(hotspot.getVMOption("TieredStopAtLevel").getValue())
              >= OPTIMISING_TIER;
    } catch (RuntimeException e) {
      return true;
    }
  }
}

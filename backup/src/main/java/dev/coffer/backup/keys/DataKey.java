package dev.coffer.backup.keys;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 key that encrypts one backup. Generated per backup, stored only wrapped by the master
 * key ({@link MasterKey#wrap}), and handed to the guest agent as base64 inside the backup or
 * restore command. Never printed.
 */
public final class DataKey {
  static final int BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;

  private DataKey(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new BackupKeyException("a data key has " + BYTES + " bytes");
    }
    this.bytes = bytes.clone();
  }

  public static DataKey generate() {
    byte[] bytes = new byte[BYTES];
    RANDOM.nextBytes(bytes);
    return new DataKey(bytes);
  }

  public static DataKey fromBase64(String base64) {
    try {
      return new DataKey(Base64.getDecoder().decode(base64.strip()));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new BackupKeyException("a data key must be 32 bytes in base64");
    }
  }

  static DataKey of(byte[] bytes) {
    return new DataKey(bytes);
  }

  public String toBase64() {
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** The key for the JDK's {@code AES/GCM/NoPadding} cipher. */
  public SecretKey secretKey() {
    return new SecretKeySpec(bytes, "AES");
  }

  byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataKey other && MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "DataKey[***]";
  }
}

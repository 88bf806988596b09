package dev.coffer.backup.keys;

import java.util.Base64;

/**
 * A data key encrypted by a master key, safe to store beside the backup's record. The master key's
 * id says which master key unwraps it, so master keys can be rotated: old backups keep naming the
 * key they need.
 *
 * @param masterKeyId {@link MasterKey#id()} of the wrapping key
 * @param ciphertext base64 of the AES-GCM nonce, encrypted key and tag
 */
public record WrappedKey(String masterKeyId, String ciphertext) {
  private static final String PREFIX = "cwk1";

  public WrappedKey {
    if (masterKeyId == null || !masterKeyId.matches("[0-9a-f]{16}")) {
      throw new BackupKeyException("a wrapped key needs a 16-hex-digit master key id");
    }
    if (ciphertext == null || ciphertext.isBlank()) {
      throw new BackupKeyException("a wrapped key needs its ciphertext");
    }
  }

  /** One string for a database column: {@code cwk1:<masterKeyId>:<ciphertext>}. */
  public String encode() {
    return PREFIX + ":" + masterKeyId + ":" + ciphertext;
  }

  public static WrappedKey decode(String encoded) {
    String[] parts = encoded == null ? new String[0] : encoded.strip().split(":", -1);
    if (parts.length != 3 || !PREFIX.equals(parts[0])) {
      throw new BackupKeyException("not a wrapped backup key (expected cwk1:<id>:<base64>)");
    }
    return new WrappedKey(parts[1], parts[2]);
  }

  byte[] ciphertextBytes() {
    try {
      return Base64.getDecoder().decode(ciphertext);
    } catch (IllegalArgumentException e) {
      throw new BackupKeyException("wrapped key ciphertext is not base64");
    }
  }

  @Override
  public String toString() {
    return "WrappedKey[masterKeyId=" + masterKeyId + "]";
  }
}

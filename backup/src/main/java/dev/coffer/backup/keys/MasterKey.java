package dev.coffer.backup.keys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's 256-bit key that wraps every backup's {@link DataKey} (AES-GCM). Lose it and no
 * backup can be restored, so it lives outside the backup store: in a 0600 file the control plane
 * creates on first start, or given as base64 in the settings. Its {@link #id()} is derived from the
 * key itself, so the same key has the same id whichever way it is loaded.
 */
public final class MasterKey {
  private static final Logger LOG = LoggerFactory.getLogger(MasterKey.class);
  private static final int BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;
  private final String id;

  private MasterKey(byte[] bytes) {
    if (bytes.length != BYTES) {
      throw new BackupKeyException("a master key has " + BYTES + " bytes");
    }
    this.bytes = bytes.clone();
    this.id = idOf(bytes);
  }

  public static MasterKey generate() {
    byte[] bytes = new byte[BYTES];
    RANDOM.nextBytes(bytes);
    return new MasterKey(bytes);
  }

  public static MasterKey fromBase64(String base64) {
    try {
      return new MasterKey(Base64.getDecoder().decode(base64.strip()));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new BackupKeyException("a master key must be 32 bytes in base64");
    }
  }

  /** Reads the key in {@code file} (base64 text). */
  public static MasterKey load(Path file) {
    try {
      warnIfShared(file);
      return fromBase64(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new BackupKeyException("cannot read master key file " + file, e);
    } catch (BackupKeyException e) {
      throw new BackupKeyException("master key file " + file + ": " + e.getMessage());
    }
  }

  /**
   * Reads the key in {@code file}, or creates the file (mode 0600) with a new key. Two processes
   * racing to create it end up with the same key: the file is linked into place only if absent.
   */
  public static MasterKey loadOrCreate(Path file) {
    if (Files.exists(file)) {
      return load(file);
    }
    Path temp = null;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      temp =
          Files.createTempFile(
              file.toAbsolutePath().getParent(),
              "." + file.getFileName(),
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      MasterKey key = generate();
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.write(ByteBuffer.wrap((key.toBase64() + "\n").getBytes(StandardCharsets.US_ASCII)));
        channel.force(true);
      }
      try {
        Files.createLink(file, temp);
        LOG.info("event=master_key_created file={} id={}", file, key.id());
        return key;
      } catch (FileAlreadyExistsException raced) {
        return load(file);
      }
    } catch (IOException e) {
      throw new BackupKeyException("cannot create master key file " + file, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          LOG.warn("event=master_key_temp_left file={} error={}", temp, e.toString());
        }
      }
    }
  }

  /** A short public name for this key (16 hex digits), recorded with every key it wraps. */
  public String id() {
    return id;
  }

  /** The key as base64, for the operator to keep a copy somewhere safe. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public WrappedKey wrap(DataKey dataKey) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce);
      byte[] sealed = cipher.doFinal(dataKey.bytes());
      byte[] out = new byte[NONCE_BYTES + sealed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return new WrappedKey(id, Base64.getEncoder().encodeToString(out));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }

  public DataKey unwrap(WrappedKey wrapped) {
    if (!id.equals(wrapped.masterKeyId())) {
      throw new BackupKeyException(
          "the backup's data key was wrapped by master key "
              + wrapped.masterKeyId()
              + ", not by the configured master key "
              + id);
    }
    byte[] in = wrapped.ciphertextBytes();
    if (in.length != NONCE_BYTES + DataKey.BYTES + TAG_BITS / 8) {
      throw new BackupKeyException("wrapped data key has the wrong length");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, java.util.Arrays.copyOf(in, NONCE_BYTES));
      return DataKey.of(cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES));
    } catch (AEADBadTagException e) {
      throw new BackupKeyException("wrapped data key failed authentication: it was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }

  private Cipher cipher(int mode, byte[] nonce) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(bytes, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    // Binds the ciphertext to this key id and purpose.
    cipher.updateAAD(("coffer/data-key/v1/" + id).getBytes(StandardCharsets.US_ASCII));
    return cipher;
  }

  private static String idOf(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("coffer/master-key-id/v1".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(key), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  private static void warnIfShared(Path file) throws IOException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.GROUP_READ)
          || perms.contains(PosixFilePermission.OTHERS_READ)) {
        LOG.warn(
            "event=master_key_readable_by_others file={} mode={} advice='chmod 600'",
            file,
            PosixFilePermissions.toString(perms));
      }
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: nothing to check.
    }
  }

  @Override
  public String toString() {
    return "MasterKey[id=" + id + "]";
  }
}

package dev.coffer.server.backups;

import dev.coffer.backup.keys.DataKey;
import dev.coffer.backup.keys.MasterKey;
import dev.coffer.backup.keys.WrappedKey;
import dev.coffer.backup.storage.BackupStore;
import dev.coffer.backup.storage.BackupStoreConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The control plane's hold on backups: the master keys that wrap every backup's data key (they
 * never leave this process) and the store where agents write. Agents receive a backup's data key in
 * clear only inside the command that needs it.
 */
public final class BackupVault implements AutoCloseable {
  private final MasterKeys masterKeys;
  private final BackupStoreConfig storeConfig;
  private final BackupStore store;

  public BackupVault(MasterKey masterKey, BackupStoreConfig storeConfig) {
    this(MasterKeys.of(masterKey), storeConfig);
  }

  public BackupVault(MasterKeys masterKeys, BackupStoreConfig storeConfig) {
    this.masterKeys = masterKeys;
    this.storeConfig = storeConfig;
    this.store = storeConfig.open();
  }

  public MasterKeys masterKeys() {
    return masterKeys;
  }

  /** A new data key: its clear base64 form for the agent and its wrapped form to store. */
  public record NewKey(String clearBase64, String wrapped) {
    @Override
    public String toString() {
      return "NewKey[wrapped]";
    }
  }

  public NewKey newDataKey() {
    DataKey key = DataKey.generate();
    return new NewKey(key.toBase64(), masterKeys.current().wrap(key).encode());
  }

  /** The clear data key (base64) of a stored wrapped key, unwrapped by the key that wrapped it. */
  public String unwrap(String wrapped) {
    WrappedKey key = WrappedKey.decode(wrapped);
    return masterKeys.withId(key.masterKeyId()).unwrap(key).toBase64();
  }

  /** The master key id a stored wrapped key names. */
  public static String masterKeyIdOf(String wrapped) {
    return WrappedKey.decode(wrapped).masterKeyId();
  }

  /** The same data key wrapped by the current master key ({@code wrapped} itself if it is). */
  public String rewrapped(String wrapped) {
    WrappedKey key = WrappedKey.decode(wrapped);
    MasterKey current = masterKeys.current();
    if (key.masterKeyId().equals(current.id())) {
      return wrapped;
    }
    return current.wrap(masterKeys.withId(key.masterKeyId()).unwrap(key)).encode();
  }

  /** How agents reach the store (includes its credentials: only ever sent inside commands). */
  public Map<String, String> agentStoreConfig() {
    return storeConfig.toMap();
  }

  public boolean exists(String objectKey) {
    try {
      return store.exists(objectKey);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the backup store: " + e.getMessage(), e);
    }
  }

  public void delete(String objectKey) {
    try {
      store.delete(objectKey);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete from the backup store: " + e.getMessage(), e);
    }
  }

  public List<String> list(String prefix) {
    try {
      return store.list(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the backup store: " + e.getMessage(), e);
    }
  }

  /** Writes an object; see {@link BackupStore#put}. */
  public void put(String objectKey, BackupStore.BodyWriter body) {
    try {
      store.put(objectKey, body);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to the backup store: " + e.getMessage(), e);
    }
  }

  /** An object's bytes, or empty if there is no such object (small objects only). */
  public java.util.Optional<byte[]> read(String objectKey) {
    try (java.io.InputStream in = store.open(objectKey)) {
      return java.util.Optional.of(in.readAllBytes());
    } catch (java.nio.file.NoSuchFileException e) {
      return java.util.Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the backup store: " + e.getMessage(), e);
    }
  }

  public String locationRef(String objectKey) {
    return store.locationRef(objectKey);
  }

  /** The kind of store backups go to: {@code file} or {@code s3}. */
  public String storeKind() {
    return storeConfig.type();
  }

  /**
   * Removes uploads that writers abandoned more than {@code olderThan} ago; returns how many.
   *
   * @see BackupStore#purgeIncomplete(Duration)
   */
  public int purgeIncomplete(Duration olderThan) {
    try {
      return store.purgeIncomplete(olderThan);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot purge incomplete uploads from the backup store: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}

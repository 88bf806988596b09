package dev.coffer.server.backups;

import dev.coffer.backup.keys.BackupKeyException;
import dev.coffer.server.http.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Master key rotation: a new current master key, then every backup's data key re-wrapped onto it,
 * so the earlier key can be retired while every backup stays restorable. Backup objects are not
 * touched (their data keys do not change, only the wrapping kept in the state store).
 */
public final class BackupKeys {
  private static final Logger log = LoggerFactory.getLogger(BackupKeys.class);

  private final BackupVault vault;
  private final BackupRepository backups;
  private final LogArchiveRepository logArchives;

  public BackupKeys(BackupVault vault, BackupRepository backups, LogArchiveRepository logArchives) {
    this.vault = vault;
    this.backups = backups;
    this.logArchives = logArchives;
  }

  /** One master key: how many backups' data keys it wraps, and whether this server holds it. */
  public record KeyUse(String id, boolean current, boolean available, long backups) {}

  /** Where the current key is kept, every key in use or held, and what the last call re-wrapped. */
  public record Status(String currentKeyId, String source, List<KeyUse> keys, int rewrapped) {}

  public synchronized Status status() {
    return status(0);
  }

  /**
   * Creates a new master key and re-wraps every data key onto it. Only for a file-kept key: keys
   * given in the settings are rotated by changing the settings, then calling {@link #rewrap()}.
   */
  public synchronized Status rotate() {
    MasterKeys keys = vault.masterKeys();
    if (!keys.rotatable()) {
      throw new ApiException.Conflict(
          "The master key is given by COFFER_MASTER_KEY and cannot be replaced by the server:"
              + " set COFFER_MASTER_KEY to a new key and COFFER_PREVIOUS_MASTER_KEYS to the old"
              + " one, restart, then POST /coffer/v1/backup_keys/rewrap.");
    }
    keys.rotate();
    return status(rewrapAll());
  }

  /** Re-wraps every data key that the current master key does not wrap yet. */
  public synchronized Status rewrap() {
    return status(rewrapAll());
  }

  /** Where wrapped data keys are kept: backups, and the log archives of point-in-time recovery. */
  private record KeyTable(Supplier<Map<String, String>> wrappedKeys, KeyReplacer replacer) {}

  @FunctionalInterface
  private interface KeyReplacer {
    boolean replaceWrappedKey(String id, String expected, String replacement);
  }

  private List<KeyTable> keyTables() {
    return List.of(
        new KeyTable(backups::wrappedKeys, backups::replaceWrappedKey),
        new KeyTable(logArchives::wrappedKeys, logArchives::replaceWrappedKey));
  }

  private int rewrapAll() {
    String current = vault.masterKeys().current().id();
    int rewrapped = 0;
    List<String> failed = new ArrayList<>();
    for (KeyTable table : keyTables()) {
      for (Map.Entry<String, String> entry : table.wrappedKeys().get().entrySet()) {
        String wrapped = entry.getValue();
        try {
          String again = vault.rewrapped(wrapped);
          // Compare-and-set: a task that just stored its key keeps it (a later call re-wraps).
          if (!again.equals(wrapped)
              && table.replacer().replaceWrappedKey(entry.getKey(), wrapped, again)) {
            rewrapped++;
          }
        } catch (BackupKeyException e) {
          failed.add(entry.getKey());
          log.warn(
              "event=backup_key_rewrap_failed key_of={} reason=\"{}\"",
              entry.getKey(),
              e.getMessage());
        }
      }
    }
    log.info(
        "event=backup_keys_rewrapped master_key={} rewrapped={} failed={}",
        current,
        rewrapped,
        failed.size());
    return rewrapped;
  }

  private Status status(int rewrapped) {
    MasterKeys keys = vault.masterKeys();
    String current = keys.current().id();
    Map<String, Long> uses = new LinkedHashMap<>();
    keys.ids().forEach(id -> uses.put(id, 0L));
    for (KeyTable table : keyTables()) {
      for (String wrapped : table.wrappedKeys().get().values()) {
        uses.merge(BackupVault.masterKeyIdOf(wrapped), 1L, Long::sum);
      }
    }
    List<String> held = keys.ids();
    List<KeyUse> views = new ArrayList<>();
    uses.forEach(
        (id, count) -> views.add(new KeyUse(id, id.equals(current), held.contains(id), count)));
    return new Status(current, keys.source(), views, rewrapped);
  }
}

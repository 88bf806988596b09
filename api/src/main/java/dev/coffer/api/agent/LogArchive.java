package dev.coffer.api.agent;

import java.util.Map;

/**
 * Where an instance archives its change log (PostgreSQL WAL) for point-in-time recovery: the backup
 * store, a key prefix of its own, and the archive's data key. Every archived file is sealed like a
 * backup (compressed, encrypted with {@code dataKey}, checksummed).
 *
 * @param store how to reach the backup store (includes its credentials)
 * @param prefix object key prefix of this instance's archive, for example {@code wal/<instance id>}
 * @param dataKey base64; the agent keeps it in its own 0700 directory
 */
public record LogArchive(Map<String, String> store, String prefix, String dataKey) {
  public LogArchive {
    store = Map.copyOf(store);
  }

  @Override
  public String toString() {
    return "LogArchive[prefix=" + prefix + "]";
  }
}

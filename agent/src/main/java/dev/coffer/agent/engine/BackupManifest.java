package dev.coffer.agent.engine;

import java.util.Map;

/**
 * What an engine records about one backup so it can build an incremental on top of it or restore it
 * later.
 *
 * @param format the engine's stream format, for example {@code mbstream}, {@code tar}, {@code rdb}
 * @param position engine positions, for example {@code to_lsn} or {@code stop_wal}
 */
public record BackupManifest(String format, Map<String, String> position) {
  public BackupManifest {
    position = Map.copyOf(position);
  }
}

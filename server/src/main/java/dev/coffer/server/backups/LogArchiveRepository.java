package dev.coffer.server.backups;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Durable log archives, one per instance. */
public interface LogArchiveRepository {
  void insert(LogArchive archive);

  Optional<LogArchive> find(String instanceId);

  /** Moves {@code archived_until} forward to {@code until}; never back. */
  void advance(String instanceId, Instant until);

  void delete(String instanceId);

  /** Every archive's wrapped data key, by instance id (for master key rotation). */
  Map<String, String> wrappedKeys();

  /** Replaces an archive's wrapped key if it is still {@code expected}. */
  boolean replaceWrappedKey(String instanceId, String expected, String replacement);
}

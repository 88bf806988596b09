package dev.coffer.server.metrics;

import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.StatusRules;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every live instance with what metrics and alerts need to know about it, read at one moment with a
 * fixed number of queries whatever the number of instances.
 *
 * @param lastGoodBackup per instance id, when its newest completed backup finished
 * @param tasks counts of tasks by type and state
 */
public record Fleet(
    Instant at, List<Member> members, Map<String, Instant> lastGoodBackup, List<TaskCount> tasks) {

  /** One instance, its API status and its datastore's name. */
  public record Member(Instance instance, String status, String datastore) {
    public String id() {
      return instance.id();
    }

    public long volumeSizeBytes() {
      return (long) instance.volumeSize() << 30;
    }

    public Optional<Long> volumeUsedBytes() {
      return Optional.ofNullable(instance.volumeUsedBytes());
    }
  }

  public record TaskCount(String type, String state, long count) {}

  public Fleet {
    members = List.copyOf(members);
    lastGoodBackup = Map.copyOf(lastGoodBackup);
    tasks = List.copyOf(tasks);
  }

  static String status(Instance instance, Instant now, boolean backupRunning) {
    return StatusRules.status(instance, now, backupRunning);
  }
}

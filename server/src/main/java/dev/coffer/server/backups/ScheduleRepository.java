package dev.coffer.server.backups;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface ScheduleRepository {
  void upsert(BackupSchedule schedule);

  Optional<BackupSchedule> find(String instanceId);

  void delete(String instanceId);

  List<BackupSchedule> all();

  void setNextRun(String instanceId, Instant nextRunAt);

  /** Remembers that the scheduled backup is to be verified by a restore drill once it completes. */
  void requestDrill(String backupId, String instanceId);

  /** Backups whose drill was requested and not yet started, oldest request first. */
  List<String> pendingDrills();

  /** Forgets a drill request: its drill started, or its backup failed or is gone. */
  void forgetDrill(String backupId);
}

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
}

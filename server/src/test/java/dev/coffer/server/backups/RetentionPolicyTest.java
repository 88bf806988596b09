package dev.coffer.server.backups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {
  static final Instant NOW = Instant.parse("2026-11-25T03:00:00Z");

  static Backup backup(String id, Instant created, String parent) {
    return new Backup(
        id,
        "p",
        "i",
        id,
        null,
        "v",
        parent,
        BackupStatus.COMPLETED,
        1L,
        1L,
        "c",
        "k",
        null,
        null,
        null,
        null,
        null,
        null,
        created,
        created,
        true,
        null);
  }

  static List<String> ids(List<Backup> backups) {
    return backups.stream().map(Backup::id).toList();
  }

  /** One full backup a day at 03:00 for the last {@code days} days, newest named d0. */
  static List<Backup> daily(int days) {
    List<Backup> all = new ArrayList<>();
    for (int d = 0; d < days; d++) {
      all.add(backup("d" + d, NOW.minus(d, ChronoUnit.DAYS), null));
    }
    return all;
  }

  @Test
  void keepsTheLastNAndDeletesTheRest() {
    assertThat(ids(new RetentionPolicy(3, 0, 0, 0).expired(daily(5)))).containsExactly("d3", "d4");
  }

  @Test
  void keepsOneBackupPerDayWeekAndMonthBeyondTheLastN() {
    // 2026-11-25 is a Wednesday: d0..d2 fall in ISO week 48, d3..d9 in week 47, d10..d16 in week
    // 46; d25 is the newest of October.
    List<Backup> expired = new RetentionPolicy(1, 3, 3, 2).expired(daily(70));
    List<String> kept =
        daily(70).stream().map(Backup::id).filter(id -> !ids(expired).contains(id)).toList();
    assertThat(kept).containsExactly("d0", "d1", "d2", "d3", "d10", "d25");
  }

  @Test
  void neverDeletesABackupAKeptIncrementalIsBuiltOn() {
    List<Backup> chain =
        List.of(
            backup("full", NOW.minus(3, ChronoUnit.HOURS), null),
            backup("inc1", NOW.minus(2, ChronoUnit.HOURS), "full"),
            backup("inc2", NOW.minus(1, ChronoUnit.HOURS), "inc1"),
            backup("old", NOW.minus(10, ChronoUnit.DAYS), null));
    assertThat(ids(new RetentionPolicy(1, 0, 0, 0).expired(chain))).containsExactly("old");
  }

  @Test
  void keepLastMustBePositive() {
    assertThatThrownBy(() -> new RetentionPolicy(0, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

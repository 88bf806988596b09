package dev.coffer.server.instances;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Trove's status precedence for the replication tasks. */
class StatusRulesTest {
  private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  private static Instance running(TaskStatus task) {
    return new Instance(
        "i",
        "p",
        "db",
        "v",
        "1",
        1,
        null,
        "127.0.0.1",
        3306,
        false,
        List.of(),
        task,
        ServiceStatus.RUNNING,
        NOW,
        NOW,
        null,
        null,
        null,
        NOW,
        NOW,
        null);
  }

  @Test
  void promoteEjectAndDetachShowWhileTheyRunAndTheirErrorsShowError() {
    assertThat(StatusRules.status(running(TaskStatus.PROMOTING), NOW)).isEqualTo("PROMOTE");
    assertThat(StatusRules.status(running(TaskStatus.EJECTING), NOW)).isEqualTo("EJECT");
    assertThat(StatusRules.status(running(TaskStatus.DETACHING), NOW)).isEqualTo("DETACH");
    assertThat(StatusRules.status(running(TaskStatus.PROMOTION_ERROR), NOW)).isEqualTo("ERROR");
    assertThat(StatusRules.status(running(TaskStatus.EJECTION_ERROR), NOW)).isEqualTo("ERROR");
    assertThat(StatusRules.operatingStatus(running(TaskStatus.PROMOTING), NOW)).isEmpty();
    assertThat(StatusRules.status(running(TaskStatus.NONE), NOW)).isEqualTo("ACTIVE");
  }

  @Test
  void anInstanceInAReplicationTaskTakesNoGuestCalls() {
    assertThat(StatusRules.acceptsGuestCalls(running(TaskStatus.PROMOTING), NOW)).isFalse();
    assertThat(StatusRules.acceptsGuestCalls(running(TaskStatus.NONE), NOW)).isTrue();
  }
}

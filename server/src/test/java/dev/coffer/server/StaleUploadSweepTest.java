package dev.coffer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.coffer.server.backups.StaleUploadSweeper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The server reclaims what writers that died mid-backup left in the backup store: when it starts
 * (and hourly after), incomplete uploads older than {@code COFFER_BACKUP_STALE_UPLOAD_HOURS} are
 * removed and the count logged; younger ones (a backup may still be writing) and complete backups
 * stay.
 */
class StaleUploadSweepTest {

  static Path touched(Path file, String content, Duration age) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
    return file;
  }

  @Test
  void atStartStaleIncompleteUploadsAreRemovedAndYoungerOnesAndBackupsKept() throws Exception {
    Path base = Files.createDirectories(Path.of("/tmp/coffer-it"));
    Path store = Files.createTempDirectory(base, "store");
    Path incoming = store.resolve(".incoming");
    Path stale = touched(incoming.resolve("upload-1.partial"), "cut off", Duration.ofHours(8));
    Path young = touched(incoming.resolve("upload-2.partial"), "writing", Duration.ofHours(6));
    Path complete = touched(store.resolve("p/i/old.backup"), "a backup", Duration.ofDays(400));
    Logger logger = (Logger) LoggerFactory.getLogger(StaleUploadSweeper.class);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    logger.addAppender(log);
    TestCoffer coffer = null;
    try {
      coffer =
          TestCoffer.start(
              Map.of(
                  "COFFER_BACKUP_PATH", store.toString(), "COFFER_BACKUP_STALE_UPLOAD_HOURS", "7"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  log.list.stream()
                      .anyMatch(e -> e.getFormattedMessage().startsWith("event=stale_uploads")));
      assertThat(log.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .containsExactly("event=stale_uploads_purged removed=1 older_than=PT7H");
      assertThat(stale).doesNotExist();
      assertThat(young).exists();
      assertThat(complete).exists();
    } finally {
      if (coffer != null) {
        coffer.close();
      }
      logger.detachAppender(log);
      TestCoffer.deleteTree(store);
    }
  }

  @Test
  void anAgeThatCouldCutOffARunningBackupIsRefused() {
    for (String value : new String[] {"6", "0", "-1", "1.5", "a day"}) {
      assertThatThrownBy(
              () ->
                  TestCoffer.config(
                      Path.of("/tmp/coffer-it/unused"),
                      Map.of("COFFER_BACKUP_STALE_UPLOAD_HOURS", value)))
          .hasMessageContaining("COFFER_BACKUP_STALE_UPLOAD_HOURS")
          .hasMessageContaining("greater than 6");
    }
    assertThat(TestCoffer.config(Path.of("/tmp/coffer-it/unused")).staleUploadAge())
        .isEqualTo(Duration.ofHours(24));
  }
}

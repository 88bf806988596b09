package dev.coffer.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.backup.TestData;
import dev.coffer.backup.envelope.BackupEnvelope;
import dev.coffer.backup.envelope.BackupIntegrityException;
import dev.coffer.backup.envelope.SealedBackup;
import dev.coffer.backup.envelope.SealedOutputStream;
import dev.coffer.backup.keys.DataKey;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BackupStore} promises, together with the envelope that seals what it stores.
 * Each store's test class extends this with a real store (a directory, or a real S3-compatible
 * server) and the means to damage an object behind the store's back.
 */
public abstract class BackupStoreContract {
  protected static final int MIB = 1 << 20;
  private static final String KEY = "backups/inst-1/full-1.cfb";

  /** An empty store, new for each test. */
  protected abstract BackupStore store();

  /** Flips one byte of the stored object, bypassing the store. */
  protected abstract void corrupt(String key, long offset) throws IOException;

  /** Cuts the stored object to {@code length} bytes, bypassing the store. */
  protected abstract void truncate(String key, long length) throws IOException;

  /** What unfinished writes left in the store's backing storage (temp files, open uploads). */
  protected abstract List<String> leftovers() throws IOException;

  /** Bytes for the streaming test: far more than the test JVM's heap (-Xmx128m). */
  protected long largeBackupBytes() {
    return 200L * MIB;
  }

  @Test
  void aSealedBackupReadsBackExactlyAsWritten() throws Exception {
    long size = 20L * MIB;
    DataKey key = DataKey.generate();

    SealedBackup sealed =
        BackupEnvelope.store(store(), KEY, key, out -> TestData.write(out, size, 1));

    assertThat(sealed.plainBytes()).isEqualTo(size);
    assertThat(sealed.storedBytes()).isEqualTo(store().size(KEY)).isLessThan(size);
    assertThat(sealed.locationRef()).isEqualTo(store().locationRef(KEY));
    assertThat(TestData.sha256(store().open(KEY)))
        .as("the checksum is the SHA-256 of the stored bytes")
        .isEqualTo(sealed.checksum());
    try (InputStream in = BackupEnvelope.open(store().open(KEY), key, sealed.checksum())) {
      assertThat(TestData.sha256(in)).isEqualTo(TestData.sha256(size, 1));
    }
    assertThat(BackupEnvelope.verify(store(), KEY, key, sealed.checksum())).isEqualTo(size);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void aBackupLargerThanTheHeapStreamsThroughWithBoundedMemory() throws Exception {
    long size = largeBackupBytes();
    DataKey key = DataKey.generate();

    SealedBackup sealed =
        BackupEnvelope.store(store(), KEY, key, out -> TestData.write(out, size, 2));

    assertThat(Runtime.getRuntime().maxMemory()).isLessThan(size);
    try (InputStream in = BackupEnvelope.open(store().open(KEY), key, sealed.checksum())) {
      assertThat(TestData.sha256(in)).isEqualTo(TestData.sha256(size, 2));
    }
  }

  @Test
  void aSmallBackupSealedByHandIsStoredOnClose() throws Exception {
    DataKey key = DataKey.generate();
    SealedOutputStream sealed = BackupEnvelope.seal(store().create(KEY), key);
    TestData.write(sealed, 1000, 3);
    assertThat(store().exists(KEY)).isFalse();

    sealed.close();

    assertThat(store().exists(KEY)).isTrue();
    assertThat(sealed.plainBytes()).isEqualTo(1000);
    assertThat(sealed.bytesWritten()).isEqualTo(store().size(KEY));
    try (InputStream in = BackupEnvelope.open(store().open(KEY), key, sealed.checksum())) {
      assertThat(TestData.sha256(in)).isEqualTo(TestData.sha256(1000, 3));
    }
  }

  @Test
  void anEmptyBackupRoundTrips() throws Exception {
    DataKey key = DataKey.generate();
    SealedBackup sealed = BackupEnvelope.store(store(), KEY, key, out -> {});
    try (InputStream in = BackupEnvelope.open(store().open(KEY), key, sealed.checksum())) {
      assertThat(in.readAllBytes()).isEmpty();
    }
  }

  @Test
  void anObjectIsInvisibleUntilItsStreamIsClosed() throws Exception {
    AbortableOutputStream out = store().create(KEY);
    TestData.write(out, 12L * MIB, 4);

    assertThat(leftovers()).as("bytes already sent to the store").isNotEmpty();
    assertThat(store().exists(KEY)).isFalse();
    assertThat(store().list("")).isEmpty();

    out.close();
    assertThat(store().exists(KEY)).isTrue();
    assertThat(store().list("")).containsExactly(KEY);
    assertThat(store().size(KEY)).isEqualTo(12L * MIB);
    assertThat(TestData.sha256(store().open(KEY))).isEqualTo(TestData.sha256(12L * MIB, 4));
  }

  @Test
  void anAbortedBackupLeavesNothingBehind() throws Exception {
    SealedOutputStream sealed = BackupEnvelope.seal(store().create(KEY), DataKey.generate());
    TestData.write(sealed, 12L * MIB, 5);

    sealed.abort();

    assertThat(store().exists(KEY)).isFalse();
    assertThat(store().list("")).isEmpty();
    assertThat(leftovers()).isEmpty();
    assertThatThrownBy(sealed::checksum).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBackupWhoseProducerFailsIsNotStoredEvenIfItClosesTheStream() throws Exception {
    assertThatThrownBy(
            () ->
                BackupEnvelope.store(
                    store(),
                    KEY,
                    DataKey.generate(),
                    out -> {
                      try (out) {
                        TestData.write(out, 12L * MIB, 6);
                        throw new IOException("engine died");
                      }
                    }))
        .hasMessage("engine died");

    assertThat(store().exists(KEY)).isFalse();
    assertThat(store().list("")).isEmpty();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void aFailedRewriteKeepsThePreviousObject() throws Exception {
    store().put(KEY, out -> TestData.write(out, 1000, 7));

    assertThatThrownBy(
            () ->
                store()
                    .put(
                        KEY,
                        out -> {
                          TestData.write(out, 6L * MIB, 8);
                          throw new IllegalStateException("interrupted");
                        }))
        .isInstanceOf(IllegalStateException.class);

    assertThat(TestData.sha256(store().open(KEY))).isEqualTo(TestData.sha256(1000, 7));
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void deletingIsIdempotent() throws Exception {
    assertThatCode(() -> store().delete("backups/never-written")).doesNotThrowAnyException();
    store().put(KEY, out -> TestData.write(out, 1000, 9));

    store().delete(KEY);
    store().delete(KEY);

    assertThat(store().exists(KEY)).isFalse();
    assertThat(store().list("")).isEmpty();
  }

  @Test
  void aMissingObjectIsReportedAsMissing() {
    assertThatThrownBy(() -> store().open("backups/missing"))
        .isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> store().size("backups/missing"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void listingReturnsTheKeysUnderAPrefixInOrder() throws Exception {
    for (String key : List.of("backups/a/2", "backups/a/10", "backups/a/1", "backups/b/1", "x")) {
      store().put(key, out -> out.write(1));
    }

    assertThat(store().list("backups/a/"))
        .containsExactly("backups/a/1", "backups/a/10", "backups/a/2");
    assertThat(store().list("backups/a/1")).containsExactly("backups/a/1", "backups/a/10");
    assertThat(store().list("backups/")).hasSize(4);
    assertThat(store().list("")).hasSize(5);
    assertThat(store().list("backups/c/")).isEmpty();
  }

  @Test
  void keysThatCouldEscapeOrHideAreRefused() {
    for (String bad : List.of("", "/etc/passwd", "../x", "a/../b", "a//b", ".incoming/x", "a/")) {
      assertThatThrownBy(() -> store().create(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store().open(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> store().list("../")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTamperedBackupIsRefused() throws Exception {
    DataKey key = DataKey.generate();
    SealedBackup sealed =
        BackupEnvelope.store(store(), KEY, key, out -> TestData.write(out, 3L * MIB, 10));

    corrupt(KEY, sealed.storedBytes() / 2);

    assertThatThrownBy(
            () -> TestData.sha256(BackupEnvelope.open(store().open(KEY), key, sealed.checksum())))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void aBackupCutShortIsRefused() throws Exception {
    DataKey key = DataKey.generate();
    SealedBackup sealed =
        BackupEnvelope.store(store(), KEY, key, out -> TestData.write(out, 3L * MIB, 11));
    List<Long> frames = frameOffsets(store().open(KEY));
    assertThat(frames).hasSizeGreaterThan(1);

    // Cut exactly before the final frame: every remaining frame is authentic.
    truncate(KEY, frames.get(frames.size() - 1));
    assertThatThrownBy(
            () -> TestData.sha256(BackupEnvelope.open(store().open(KEY), key, sealed.checksum())))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("without its final frame");

    SealedBackup again =
        BackupEnvelope.store(store(), KEY, key, out -> TestData.write(out, 3L * MIB, 11));
    truncate(KEY, again.storedBytes() - 1);
    assertThatThrownBy(
            () -> TestData.sha256(BackupEnvelope.open(store().open(KEY), key, again.checksum())))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void theWrongDataKeyIsRefusedAtOnce() throws Exception {
    SealedBackup sealed =
        BackupEnvelope.store(
            store(), KEY, DataKey.generate(), out -> TestData.write(out, 2L * MIB, 12));

    assertThatThrownBy(
            () -> BackupEnvelope.open(store().open(KEY), DataKey.generate(), sealed.checksum()))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void aBackupWhoseChecksumDiffersFromTheRecordedOneIsRefusedAtTheEnd() throws Exception {
    DataKey key = DataKey.generate();
    BackupEnvelope.store(store(), KEY, key, out -> TestData.write(out, 2L * MIB, 13));

    assertThatThrownBy(
            () -> TestData.sha256(BackupEnvelope.open(store().open(KEY), key, "00".repeat(32))))
        .isInstanceOf(BackupIntegrityException.class)
        .hasMessageContaining("checksum mismatch");
  }

  @Test
  void whatADeadWriterLeftBehindIsPurged() throws Exception {
    AbortableOutputStream abandoned = store().create(KEY);
    TestData.write(abandoned, 12L * MIB, 14);
    assertThat(leftovers()).isNotEmpty();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(store().purgeIncomplete(Duration.ofMillis(1))).isEqualTo(1));

    assertThat(leftovers()).isEmpty();
    assertThat(store().exists(KEY)).isFalse();
    abandoned.abort();
  }

  /** Where each frame of a sealed backup starts (see the envelope's layout). */
  protected static List<Long> frameOffsets(InputStream stored) throws IOException {
    List<Long> offsets = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(stored)) {
      long offset = 22;
      in.skipNBytes(offset);
      while (true) {
        try {
          in.readByte();
        } catch (EOFException end) {
          return offsets;
        }
        offsets.add(offset);
        int length = in.readInt();
        in.skipNBytes(length);
        offset += 5 + length;
      }
    }
  }
}

package dev.coffer.backup.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {
  @TempDir Path dir;

  @Test
  void aNewKeyFileIsPrivateAndLoadsBackAsTheSameKey() throws Exception {
    Path file = dir.resolve("keys/master.key");

    MasterKey created = MasterKey.loadOrCreate(file);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(MasterKey.loadOrCreate(file).id()).isEqualTo(created.id());
    assertThat(MasterKey.load(file).id()).isEqualTo(created.id());
    assertThat(MasterKey.fromBase64(Files.readString(file)).id()).isEqualTo(created.id());
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void processesRacingToCreateTheKeyFileAllGetTheSameKey() throws Exception {
    Path file = dir.resolve("master.key");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<String>> racers =
          IntStream.range(0, 8)
              .<Callable<String>>mapToObj(i -> () -> MasterKey.loadOrCreate(file).id())
              .toList();
      List<String> ids =
          pool.invokeAll(racers).stream().map(MasterKeyTest::get).distinct().toList();
      assertThat(ids).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aWrappedDataKeyUnwrapsToTheSameKey() {
    MasterKey master = MasterKey.generate();
    DataKey data = DataKey.generate();

    WrappedKey wrapped = master.wrap(data);

    assertThat(wrapped.masterKeyId()).isEqualTo(master.id());
    assertThat(master.unwrap(wrapped)).isEqualTo(data);
    assertThat(master.unwrap(WrappedKey.decode(wrapped.encode()))).isEqualTo(data);
    assertThat(wrapped.encode()).doesNotContain(data.toBase64());
  }

  @Test
  void anotherMasterKeyCannotUnwrap() {
    MasterKey master = MasterKey.generate();
    MasterKey other = MasterKey.generate();
    WrappedKey wrapped = master.wrap(DataKey.generate());

    assertThatThrownBy(() -> other.unwrap(wrapped))
        .isInstanceOf(BackupKeyException.class)
        .hasMessageContaining(master.id())
        .hasMessageContaining(other.id());
    // Even if the id is forged, the key itself does not fit.
    assertThatThrownBy(() -> other.unwrap(new WrappedKey(other.id(), wrapped.ciphertext())))
        .isInstanceOf(BackupKeyException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void anAlteredWrappedKeyIsRefused() {
    MasterKey master = MasterKey.generate();
    String encoded = master.wrap(DataKey.generate()).encode();
    char last = encoded.charAt(encoded.length() - 3);
    String altered =
        encoded.substring(0, encoded.length() - 3)
            + (last == 'A' ? 'B' : 'A')
            + encoded.substring(encoded.length() - 2);

    assertThatThrownBy(() -> master.unwrap(WrappedKey.decode(altered)))
        .isInstanceOf(BackupKeyException.class);
    assertThatThrownBy(() -> WrappedKey.decode("garbage")).isInstanceOf(BackupKeyException.class);
  }

  @Test
  void aDataKeyTravelsAsBase64() {
    DataKey data = DataKey.generate();
    assertThat(DataKey.fromBase64(data.toBase64())).isEqualTo(data);
    assertThatThrownBy(() -> DataKey.fromBase64("c2hvcnQ="))
        .isInstanceOf(BackupKeyException.class)
        .hasMessageNotContaining("c2hvcnQ=");
  }

  @Test
  void keysNeverShowTheirSecretWhenPrinted() {
    MasterKey master = MasterKey.generate();
    DataKey data = DataKey.generate();
    WrappedKey wrapped = master.wrap(data);

    assertThat(master.toString()).doesNotContain(master.toBase64()).contains(master.id());
    assertThat(data.toString()).doesNotContain(data.toBase64());
    assertThat(wrapped.toString()).doesNotContain(wrapped.ciphertext());
  }

  @Test
  void aMalformedKeyFileIsReportedWithoutItsContent() throws Exception {
    Path file = dir.resolve("master.key");
    Files.writeString(file, "not-a-key-at-all");

    assertThatThrownBy(() -> MasterKey.load(file))
        .isInstanceOf(BackupKeyException.class)
        .hasMessageContaining(file.toString())
        .hasMessageNotContaining("not-a-key-at-all");
  }

  private static String get(Future<String> f) {
    try {
      return f.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}

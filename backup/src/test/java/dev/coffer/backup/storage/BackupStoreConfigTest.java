package dev.coffer.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.backup.storage.file.FileBackupStore;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupStoreConfigTest {
  @TempDir Path dir;

  @Test
  void aFileConfigTravelsAsAMapAndOpensAFileStore() throws Exception {
    BackupStoreConfig config = BackupStoreConfig.file(dir);

    assertThat(config.toMap()).isEqualTo(Map.of("type", "file", "path", dir.toString()));
    assertThat(BackupStoreConfig.fromMap(config.toMap())).isEqualTo(config);
    try (BackupStore store = config.open()) {
      assertThat(store).isInstanceOf(FileBackupStore.class);
      store.put("a", out -> out.write(7));
      assertThat(dir.resolve("a")).exists();
    }
  }

  @Test
  void anS3ConfigTravelsAsAMap() {
    BackupStoreConfig config =
        BackupStoreConfig.s3(
            URI.create("http://127.0.0.1:9000"), null, "backups", "AK", "SK", true);

    assertThat(config.region()).isEqualTo("us-east-1");
    assertThat(BackupStoreConfig.fromMap(config.toMap())).isEqualTo(config);
    assertThat(config.toMap())
        .containsEntry("secret_key", "SK")
        .containsEntry("path_style", "true")
        .doesNotContainKey("path");
  }

  @Test
  void theSecretKeyIsNeverPrinted() {
    BackupStoreConfig config =
        BackupStoreConfig.s3(
            URI.create("http://127.0.0.1:9000"),
            "eu-west-1",
            "backups",
            "AK",
            "s3cr3t-v4lue",
            false);

    assertThat(config.toString()).doesNotContain("s3cr3t-v4lue").contains("backups").contains("AK");
  }

  @Test
  void invalidSettingsNameTheField() {
    assertThatThrownBy(() -> BackupStoreConfig.fromMap(Map.of())).hasMessageContaining("'type'");
    assertThatThrownBy(() -> BackupStoreConfig.fromMap(Map.of("type", "file", "path", "rel/dir")))
        .hasMessageContaining("'path'");
    assertThatThrownBy(() -> BackupStoreConfig.fromMap(Map.of("type", "s3")))
        .hasMessageContaining("'bucket'");
    assertThatThrownBy(
            () -> BackupStoreConfig.fromMap(Map.of("type", "s3", "bucket", "b", "endpoint", "::")))
        .hasMessageContaining("'endpoint'");
    assertThatThrownBy(
            () ->
                BackupStoreConfig.fromMap(Map.of("type", "s3", "bucket", "b", "access_key", "AK")))
        .hasMessageContaining("'secret_key'");
  }
}

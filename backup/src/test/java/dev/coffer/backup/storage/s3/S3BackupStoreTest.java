package dev.coffer.backup.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.backup.storage.BackupStore;
import dev.coffer.backup.storage.BackupStoreConfig;
import dev.coffer.backup.storage.BackupStoreContract;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/** The store against a real S3-compatible server (S3Proxy) on a loopback port. */
class S3BackupStoreTest extends BackupStoreContract {
  private static S3ProxyServer server;

  @TempDir Path scratch;
  private String bucket;
  private S3BackupStore store;

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3ProxyServer();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  @BeforeEach
  void openStore() {
    bucket = server.newBucket();
    // The smallest part size S3 allows, so that the tests' backups span several parts.
    store =
        new S3BackupStore(
            server.endpoint(),
            S3ProxyServer.REGION,
            bucket,
            server.accessKey,
            server.secretKey,
            true,
            S3BackupStore.MIN_PART_BYTES);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Override
  protected BackupStore store() {
    return store;
  }

  @Override
  protected void corrupt(String key, long offset) throws IOException {
    rewrite(
        key,
        file -> {
          try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            int b = raf.read();
            raf.seek(offset);
            raf.write(b ^ 0x01);
          }
        });
  }

  @Override
  protected void truncate(String key, long length) throws IOException {
    rewrite(
        key,
        file -> {
          try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
          }
        });
  }

  /** Downloads the object, edits the copy and uploads it over the original. */
  private void rewrite(String key, FileEdit edit) throws IOException {
    Path copy = scratch.resolve("copy");
    Files.deleteIfExists(copy);
    server.admin().getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toFile(copy));
    edit.apply(copy);
    server.admin().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(copy));
  }

  @Override
  protected List<String> leftovers() {
    List<String> uploads = new ArrayList<>();
    for (MultipartUpload upload :
        server.admin().listMultipartUploadsPaginator(b -> b.bucket(bucket)).uploads()) {
      uploads.add(upload.key() + " " + upload.uploadId());
    }
    return uploads;
  }

  @Test
  void theLocationIsAnS3Url() {
    assertThat(store.locationRef("backups/inst-1/full-1.cfb"))
        .isEqualTo("s3://" + bucket + "/backups/inst-1/full-1.cfb");
  }

  @Test
  void aStoreBuiltFromItsConfigMapWorks() throws Exception {
    BackupStoreConfig config =
        BackupStoreConfig.fromMap(
            BackupStoreConfig.s3(
                    server.endpoint(),
                    S3ProxyServer.REGION,
                    bucket,
                    server.accessKey,
                    server.secretKey,
                    true)
                .toMap());
    try (BackupStore fromConfig = config.open()) {
      fromConfig.put("backups/x", out -> out.write(new byte[] {1, 2, 3}));
      assertThat(store.size("backups/x")).isEqualTo(3);
    }
  }

  @Test
  void wrongCredentialsAreAnErrorNotAMissingObject() {
    try (S3BackupStore intruder =
        new S3BackupStore(
            server.endpoint(), S3ProxyServer.REGION, bucket, server.accessKey, "wrong", true)) {
      assertThatThrownBy(() -> intruder.exists("backups/x"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("s3://" + bucket + "/backups/x")
          .hasMessageNotContaining("wrong");
    }
  }

  @FunctionalInterface
  private interface FileEdit {
    void apply(Path file) throws IOException;
  }
}

package dev.coffer.backup.storage.s3;

import dev.coffer.backup.storage.AbortableOutputStream;
import dev.coffer.backup.storage.BackupStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Backups as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, S3Proxy…). Writes are
 * multipart uploads with one bounded part buffer, completed only when the stream is closed
 * successfully, so an interrupted backup never appears as an object.
 *
 * <p>The bucket must exist. Integrity is checked end to end by the backup envelope's SHA-256, so
 * the SDK's optional per-request checksums are only used where S3 requires them: that keeps the
 * store working with S3-compatible servers that do not implement them.
 */
public final class S3BackupStore implements BackupStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3BackupStore.class);

  /** S3's smallest part size (except the last part). */
  public static final int MIN_PART_BYTES = 5 << 20;

  public static final int DEFAULT_PART_BYTES = 8 << 20;

  private final S3Client s3;
  private final String bucket;
  private final int partBytes;

  /**
   * @param endpoint the service URL, or {@code null} for AWS S3 itself
   * @param accessKey with {@code secretKey}, static credentials; {@code null} uses the SDK's
   *     default chain (environment, profile, instance role)
   * @param pathStyle address the bucket in the path ({@code http://host/bucket/key}), as most
   *     S3-compatible servers need, instead of in the host name
   */
  public S3BackupStore(
      URI endpoint,
      String region,
      String bucket,
      String accessKey,
      String secretKey,
      boolean pathStyle) {
    this(endpoint, region, bucket, accessKey, secretKey, pathStyle, DEFAULT_PART_BYTES);
  }

  /**
   * @param partBytes size of the parts of a multipart upload, the memory one upload holds; the size
   *     doubles every 1000 parts so that very large backups stay under S3's 10,000 parts
   */
  public S3BackupStore(
      URI endpoint,
      String region,
      String bucket,
      String accessKey,
      String secretKey,
      boolean pathStyle,
      int partBytes) {
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("S3 bucket is required");
    }
    if (partBytes < MIN_PART_BYTES) {
      throw new IllegalArgumentException("S3 part size must be at least " + MIN_PART_BYTES);
    }
    this.bucket = bucket;
    this.partBytes = partBytes;
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(60))
                    .build())
            .region(Region.of(region == null || region.isBlank() ? "us-east-1" : region))
            .forcePathStyle(pathStyle)
            .credentialsProvider(credentials(accessKey, secretKey))
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    this.s3 = builder.build();
  }

  private static AwsCredentialsProvider credentials(String accessKey, String secretKey) {
    if (accessKey == null || accessKey.isBlank()) {
      return DefaultCredentialsProvider.builder().build();
    }
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
  }

  public String bucket() {
    return bucket;
  }

  @Override
  public AbortableOutputStream create(String key) {
    return new S3Upload(s3, bucket, BackupStore.requireValidKey(key), partBytes);
  }

  @Override
  public InputStream open(String key) throws IOException {
    BackupStore.requireValidKey(key);
    try {
      return s3.getObject(b -> b.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(locationRef(key));
    } catch (SdkException e) {
      throw failure("read", key, e);
    }
  }

  @Override
  public boolean exists(String key) throws IOException {
    return head(key) != null;
  }

  @Override
  public long size(String key) throws IOException {
    HeadObjectResponse head = head(key);
    if (head == null) {
      throw new NoSuchFileException(locationRef(key));
    }
    return head.contentLength();
  }

  private HeadObjectResponse head(String key) throws IOException {
    BackupStore.requireValidKey(key);
    try {
      return s3.headObject(b -> b.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      return null;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw failure("inspect", key, e);
    } catch (SdkException e) {
      throw failure("inspect", key, e);
    }
  }

  @Override
  public void delete(String key) throws IOException {
    BackupStore.requireValidKey(key);
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      // Already gone: S3 itself answers 204 here, some compatible servers 404.
    } catch (SdkException e) {
      throw failure("delete", key, e);
    }
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    BackupStore.requireValidPrefix(prefix);
    try {
      List<String> keys = new ArrayList<>();
      for (S3Object object :
          s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
        keys.add(object.key());
      }
      keys.sort(null);
      return keys;
    } catch (SdkException e) {
      throw failure("list", prefix + "*", e);
    }
  }

  @Override
  public String locationRef(String key) {
    return "s3://" + bucket + "/" + BackupStore.requireValidKey(key);
  }

  @Override
  public int purgeIncomplete(Duration olderThan) throws IOException {
    Instant cutoff = Instant.now().minus(olderThan);
    int removed = 0;
    try {
      for (MultipartUpload upload :
          s3.listMultipartUploadsPaginator(b -> b.bucket(bucket)).uploads()) {
        if (upload.initiated() != null && upload.initiated().isBefore(cutoff)) {
          s3.abortMultipartUpload(
              b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
          LOG.info(
              "event=backup_upload_purged location={} initiated={}",
              locationRef(upload.key()),
              upload.initiated());
          removed++;
        }
      }
    } catch (SdkException e) {
      throw failure("purge unfinished uploads in", "", e);
    }
    return removed;
  }

  @Override
  public void close() {
    s3.close();
  }

  @Override
  public String toString() {
    return "S3BackupStore[s3://" + bucket + "]";
  }

  private IOException failure(String action, String key, SdkException e) {
    return new IOException(
        "cannot %s s3://%s/%s: %s".formatted(action, bucket, key, e.getMessage()), e);
  }
}

package dev.coffer.backup.storage;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which backup store to use, as plain data: the control plane reads it from its settings and sends
 * it to guest agents inside backup commands (as {@link #toMap()}). {@link #toString()} never shows
 * the secret key.
 *
 * @param type {@code file} or {@code s3}
 * @param path {@code file}: the absolute root directory
 * @param endpoint {@code s3}: the service URL; empty for AWS S3 itself
 * @param region {@code s3}: the region (default {@code us-east-1})
 * @param bucket {@code s3}: the bucket, which must exist
 * @param accessKey {@code s3}: access key id; empty uses the SDK's default credential chain
 * @param secretKey {@code s3}: secret access key
 * @param pathStyle {@code s3}: bucket in the URL path rather than the host name
 */
public record BackupStoreConfig(
    String type,
    String path,
    String endpoint,
    String region,
    String bucket,
    String accessKey,
    String secretKey,
    boolean pathStyle) {

  public static final String FILE = "file";
  public static final String S3 = "s3";

  public BackupStoreConfig {
    type = blankToNull(type);
    path = blankToNull(path);
    endpoint = blankToNull(endpoint);
    region = blankToNull(region);
    bucket = blankToNull(bucket);
    accessKey = blankToNull(accessKey);
    secretKey = blankToNull(secretKey);
    if (FILE.equals(type)) {
      if (path == null || !Path.of(path).isAbsolute()) {
        throw new IllegalArgumentException("backup store 'path' must be an absolute directory");
      }
    } else if (S3.equals(type)) {
      if (bucket == null) {
        throw new IllegalArgumentException("backup store 'bucket' is required for type s3");
      }
      if (endpoint != null) {
        endpointUri(endpoint);
      }
      if (accessKey != null && secretKey == null) {
        throw new IllegalArgumentException(
            "backup store 'secret_key' is required with 'access_key'");
      }
      region = region == null ? "us-east-1" : region;
    } else {
      throw new IllegalArgumentException("backup store 'type' must be 'file' or 's3'");
    }
  }

  public static BackupStoreConfig file(Path root) {
    return new BackupStoreConfig(
        FILE, root.toAbsolutePath().toString(), null, null, null, null, null, false);
  }

  public static BackupStoreConfig s3(
      URI endpoint,
      String region,
      String bucket,
      String accessKey,
      String secretKey,
      boolean pathStyle) {
    return new BackupStoreConfig(
        S3,
        null,
        endpoint == null ? null : endpoint.toString(),
        region,
        bucket,
        accessKey,
        secretKey,
        pathStyle);
  }

  /**
   * Reads the keys {@code type}, {@code path}, {@code endpoint}, {@code region}, {@code bucket},
   * {@code access_key}, {@code secret_key} and {@code path_style} ({@code true}/{@code false}).
   */
  public static BackupStoreConfig fromMap(Map<String, String> map) {
    return new BackupStoreConfig(
        map.get("type"),
        map.get("path"),
        map.get("endpoint"),
        map.get("region"),
        map.get("bucket"),
        map.get("access_key"),
        map.get("secret_key"),
        Boolean.parseBoolean(map.getOrDefault("path_style", "false")));
  }

  /** The inverse of {@link #fromMap}, without empty entries. Contains the secret key. */
  public Map<String, String> toMap() {
    Map<String, String> map = new LinkedHashMap<>();
    putIfPresent(map, "type", type);
    putIfPresent(map, "path", path);
    putIfPresent(map, "endpoint", endpoint);
    putIfPresent(map, "region", region);
    putIfPresent(map, "bucket", bucket);
    putIfPresent(map, "access_key", accessKey);
    putIfPresent(map, "secret_key", secretKey);
    if (S3.equals(type)) {
      map.put("path_style", Boolean.toString(pathStyle));
    }
    return map;
  }

  /** Opens the store this describes; the caller closes it. */
  public BackupStore open() {
    if (FILE.equals(type)) {
      return new dev.coffer.backup.storage.file.FileBackupStore(Path.of(path));
    }
    return new dev.coffer.backup.storage.s3.S3BackupStore(
        endpoint == null ? null : endpointUri(endpoint),
        region,
        bucket,
        accessKey,
        secretKey,
        pathStyle);
  }

  @Override
  public String toString() {
    if (FILE.equals(type)) {
      return "BackupStoreConfig[file " + path + "]";
    }
    return "BackupStoreConfig[s3 bucket=%s, endpoint=%s, region=%s, accessKey=%s, secretKey=%s, pathStyle=%s]"
        .formatted(
            bucket,
            endpoint == null ? "aws" : endpoint,
            region,
            accessKey == null ? "default-chain" : accessKey,
            secretKey == null ? "none" : "***",
            pathStyle);
  }

  private static URI endpointUri(String endpoint) {
    try {
      URI uri = new URI(endpoint);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new URISyntaxException(endpoint, "needs a scheme and a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "backup store 'endpoint' must be a URL like https://host:port", e);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static void putIfPresent(Map<String, String> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}

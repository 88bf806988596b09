package dev.coffer.backup.storage.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: S3Proxy (from Maven Central) serving a directory on a
 * random loopback port, with AWS signature checks on and random credentials.
 */
final class S3ProxyServer {
  static final String REGION = "us-east-1";

  final String accessKey = "test-" + UUID.randomUUID().toString().substring(0, 8);
  final String secretKey = UUID.randomUUID().toString();
  private final Path dataDir;
  private final S3Proxy proxy;
  private final URI endpoint;
  private final S3Client admin;

  S3ProxyServer() throws Exception {
    dataDir = Files.createTempDirectory("coffer-s3proxy-");
    proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(dataDir.toString()))
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .build();
    proxy.start();
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    admin =
        S3Client.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .endpointOverride(endpoint)
            .region(Region.of(REGION))
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .build();
  }

  URI endpoint() {
    return endpoint;
  }

  /** A direct client, for tests that go behind the store's back. */
  S3Client admin() {
    return admin;
  }

  String newBucket() {
    String bucket = "coffer-" + UUID.randomUUID().toString().substring(0, 12);
    admin.createBucket(b -> b.bucket(bucket));
    return bucket;
  }

  void stop() throws Exception {
    admin.close();
    proxy.stop();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(S3ProxyServer::deleteQuietly);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // Best effort: the directory is under the system temp directory.
    }
  }
}

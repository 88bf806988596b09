package dev.coffer.backup.storage.s3;

import dev.coffer.backup.storage.AbortableOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * One object being written. Bytes gather in a single part buffer; each full buffer is uploaded as a
 * part of a multipart upload, which is completed on close (or aborted on failure). An object
 * smaller than one part is sent with a single PUT on close instead. Nothing is visible under the
 * key before close succeeds.
 */
final class S3Upload extends AbortableOutputStream {
  private static final Logger LOG = LoggerFactory.getLogger(S3Upload.class);
  private static final String CONTENT_TYPE = "application/octet-stream";
  private static final int PARTS_PER_SIZE_STEP = 1000;
  private static final int MAX_PART_BYTES = 512 << 20;

  private final S3Client s3;
  private final String bucket;
  private final String key;
  private final List<CompletedPart> parts = new ArrayList<>();
  private byte[] buffer;
  private int filled;
  private String uploadId;
  private boolean failed;
  private boolean done;

  S3Upload(S3Client s3, String bucket, String key, int partBytes) {
    this.s3 = s3;
    this.bucket = bucket;
    this.key = key;
    this.buffer = new byte[partBytes];
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (done) {
      throw new IOException("upload to s3://" + bucket + "/" + key + " is already closed");
    }
    if (failed) {
      throw new IOException("an earlier write to s3://" + bucket + "/" + key + " failed");
    }
    try {
      while (len > 0) {
        // Upload a full buffer only when more bytes come, so the last part is never empty.
        if (filled == buffer.length) {
          uploadPart();
        }
        int n = Math.min(len, buffer.length - filled);
        System.arraycopy(b, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    if (done) {
      return;
    }
    if (failed) {
      abort();
      throw new IOException(
          "an earlier write to s3://" + bucket + "/" + key + " failed; nothing was stored");
    }
    try {
      if (uploadId == null) {
        s3.putObject(
            b -> b.bucket(bucket).key(key).contentType(CONTENT_TYPE).contentLength((long) filled),
            body(buffer, filled));
      } else {
        uploadPart();
        s3.completeMultipartUpload(
            b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
      }
      done = true;
      buffer = null;
    } catch (IOException e) {
      abort();
      throw e;
    } catch (RuntimeException e) {
      abort();
      throw new IOException(
          "cannot store s3://%s/%s: %s".formatted(bucket, key, e.getMessage()), e);
    }
  }

  @Override
  public void abort() {
    if (done) {
      return;
    }
    done = true;
    buffer = null;
    if (uploadId != null) {
      try {
        s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
      } catch (SdkException e) {
        // The parts stay invisible; BackupStore.purgeIncomplete or a bucket lifecycle rule
        // reclaims them.
        LOG.warn(
            "event=backup_upload_abort_failed location=s3://{}/{} error={}",
            bucket,
            key,
            e.getMessage());
      }
    }
  }

  private void uploadPart() throws IOException {
    try {
      if (uploadId == null) {
        uploadId =
            s3.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType(CONTENT_TYPE))
                .uploadId();
      }
      int partNumber = parts.size() + 1;
      String etag =
          s3.uploadPart(
                  b ->
                      b.bucket(bucket)
                          .key(key)
                          .uploadId(uploadId)
                          .partNumber(partNumber)
                          .contentLength((long) filled),
                  body(buffer, filled))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
      filled = 0;
      growPartSize();
    } catch (SdkException e) {
      throw new IOException(
          "cannot upload part %d of s3://%s/%s: %s"
              .formatted(parts.size() + 1, bucket, key, e.getMessage()),
          e);
    }
  }

  /** Doubles the part size every 1000 parts: 8 MiB parts alone would cap an object at ~78 GiB. */
  private void growPartSize() {
    if (parts.size() % PARTS_PER_SIZE_STEP == 0 && buffer.length < MAX_PART_BYTES) {
      buffer = new byte[Math.min(MAX_PART_BYTES, buffer.length * 2)];
    }
  }

  /** The buffer itself, without a copy; the SDK may read it more than once (signing, retries). */
  private static RequestBody body(byte[] bytes, int length) {
    return RequestBody.fromContentProvider(
        () -> new ByteArrayInputStream(bytes, 0, length), length, CONTENT_TYPE);
  }
}

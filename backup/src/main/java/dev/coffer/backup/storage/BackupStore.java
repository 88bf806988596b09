package dev.coffer.backup.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where backup objects live: a local directory or an S3-compatible bucket. Objects are written once
 * as a stream and become visible only when complete; they are never held whole in memory.
 *
 * <p>Keys are relative, slash-separated paths of letters, digits, {@code .}, {@code _} and {@code
 * -}, where no segment starts with a dot (for example {@code backups/4f1c/full.cfb}).
 */
public interface BackupStore extends AutoCloseable {

  /**
   * Starts writing the object {@code key}. It becomes visible (replacing any object of that key)
   * only when the returned stream is closed without error; {@link AbortableOutputStream#abort()} or
   * a failed write leaves nothing behind.
   */
  AbortableOutputStream create(String key) throws IOException;

  /**
   * Reads the object {@code key}.
   *
   * @throws java.nio.file.NoSuchFileException if there is no such object
   */
  InputStream open(String key) throws IOException;

  boolean exists(String key) throws IOException;

  /**
   * The object's size in bytes.
   *
   * @throws java.nio.file.NoSuchFileException if there is no such object
   */
  long size(String key) throws IOException;

  /** Deletes the object; deleting a missing object is not an error. */
  void delete(String key) throws IOException;

  /** Keys of all complete objects whose key starts with {@code prefix}, in lexical order. */
  List<String> list(String prefix) throws IOException;

  /** Where the object lives, as an operator would write it: {@code file:///…} or {@code s3://…}. */
  String locationRef(String key);

  /**
   * Removes what writers that died mid-write left behind (temporary files not written to, or
   * multipart uploads started, more than {@code olderThan} ago) and returns how many were removed.
   * Such leftovers are never visible as objects; this only reclaims their space. Choose {@code
   * olderThan} longer than any backup takes, or this cancels writes still in progress.
   */
  int purgeIncomplete(Duration olderThan) throws IOException;

  /**
   * Writes the object {@code key} with {@code body}, storing it only if {@code body} returns
   * normally; if it throws, nothing is stored and the exception propagates. {@code body} may close
   * the stream it is given (for example with try-with-resources): that does not store the object.
   */
  default void put(String key, BodyWriter body) throws IOException {
    AbortableOutputStream upload = create(key);
    try {
      body.writeTo(
          new FilterOutputStream(upload) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              upload.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
              upload.flush();
            }
          });
    } catch (IOException | RuntimeException | Error e) {
      upload.abort();
      throw e;
    }
    upload.close();
  }

  /** Releases the store's clients; objects are unaffected. */
  @Override
  default void close() {}

  /** Writes an object's bytes; see {@link #put}. */
  @FunctionalInterface
  interface BodyWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Returns {@code key} if it is a valid object key, else throws naming the rule. */
  static String requireValidKey(String key) {
    if (key == null || key.length() > Keys.MAX_LENGTH || !Keys.KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "invalid backup object key '%s': use 1-%d characters of letters, digits, '.', '_', '-'"
                  .formatted(key, Keys.MAX_LENGTH)
              + " in '/'-separated segments that do not start with '.'");
    }
    return key;
  }

  /** Returns {@code prefix} if it may start a valid key (the empty prefix lists everything). */
  static String requireValidPrefix(String prefix) {
    if (prefix == null
        || prefix.length() > Keys.MAX_LENGTH
        || !Keys.PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("invalid backup object key prefix '%s'".formatted(prefix));
    }
    return prefix;
  }

  /** Key syntax shared by every store, so a key valid in one is valid in all. */
  final class Keys {
    static final int MAX_LENGTH = 512;
    private static final String SEGMENT = "[A-Za-z0-9_-][A-Za-z0-9._-]*";
    static final Pattern KEY = Pattern.compile(SEGMENT + "(/" + SEGMENT + ")*");
    static final Pattern PREFIX =
        Pattern.compile("(" + SEGMENT + "/)*([A-Za-z0-9_-][A-Za-z0-9._-]*)?");

    private Keys() {}
  }
}

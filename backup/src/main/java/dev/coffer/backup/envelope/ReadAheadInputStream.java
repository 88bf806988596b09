package dev.coffer.backup.envelope;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads {@code source} to its end on a thread of its own, a few chunks ahead of the caller. A
 * restore feeds the engine's tool (mbstream, tar) through a pipe: read in turn, the envelope's work
 * (reading, hashing, decrypting, decompressing) and the tool's work add up; read ahead, they
 * overlap, and the slower of the two sets the pace. Memory stays bounded: {@value #CHUNKS} chunks
 * of {@value #CHUNK_BYTES} bytes, reused.
 *
 * <p>End of stream is reported only after {@code source} reported it, and a failure of {@code
 * source} is thrown to the caller, by its next read, as it was thrown (the same instance, so a
 * {@link BackupIntegrityException} stays one), and again by every later read.
 */
final class ReadAheadInputStream extends InputStream {
  private static final int CHUNK_BYTES = 1 << 18;
  private static final int CHUNKS = 8;
  private static final long POLL_MILLIS = 50;

  /** A filled chunk; {@code length} -1 marks the end of the source. */
  private record Chunk(byte[] bytes, int length) {}

  private static final Chunk END = new Chunk(new byte[0], -1);

  private final InputStream source;
  private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(CHUNKS + 1);
  private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(CHUNKS);
  private final Thread reader;
  private volatile boolean closed;
  private volatile Throwable failure;
  private Chunk current;
  private int pos;
  private boolean ended;

  ReadAheadInputStream(InputStream source) {
    this.source = source;
    for (int i = 0; i < CHUNKS; i++) {
      free.add(new byte[CHUNK_BYTES]);
    }
    this.reader = new Thread(this::readAhead, "backup-read-ahead");
    reader.setDaemon(true);
    reader.start();
  }

  private void readAhead() {
    try {
      while (!closed) {
        byte[] bytes = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (bytes == null) {
          continue;
        }
        int n = source.readNBytes(bytes, 0, bytes.length);
        if (n > 0) {
          filled.put(new Chunk(bytes, n));
        }
        if (n < bytes.length) { // only at the end of the source
          filled.put(END);
          return;
        }
      }
    } catch (Throwable e) {
      failure = e;
      // wakes a caller waiting for data; there is always room for it (CHUNKS + 1)
      filled.offer(END);
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("the backup stream is closed");
    }
    if (len == 0) {
      return 0;
    }
    if (!next()) {
      return -1;
    }
    int n = Math.min(len, current.length() - pos);
    System.arraycopy(current.bytes(), pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return current == null || failure != null ? 0 : current.length() - pos;
  }

  /** Makes {@code current} a chunk with bytes left; false at the end of the source. */
  private boolean next() throws IOException {
    while (current == null || pos == current.length()) {
      if (current != null) {
        free.add(current.bytes());
        current = null;
      }
      throwFailure();
      if (ended) {
        return false;
      }
      Chunk chunk;
      try {
        chunk = filled.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the backup");
      }
      if (chunk == END) {
        throwFailure();
        ended = true;
        return false;
      }
      current = chunk;
      pos = 0;
    }
    return true;
  }

  private void throwFailure() throws IOException {
    Throwable e = failure;
    if (e == null) {
      return;
    }
    if (e instanceof IOException io) {
      throw io;
    }
    if (e instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (e instanceof Error error) {
      throw error;
    }
    throw new IOException("reading the backup failed", e);
  }

  /**
   * Stops the reading thread, then closes {@code source}. The thread is waited for before the
   * source closes: a decompressor must not be freed while the thread is inside it.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    filled.clear(); // unblocks a reader waiting for room
    try {
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while closing the backup stream");
    } finally {
      if (!reader.isAlive()) {
        source.close();
      }
    }
  }
}

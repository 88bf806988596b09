package dev.coffer.backup.envelope;

import dev.coffer.backup.storage.AbortableOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Compresses, encrypts and checksums what is written to it on the way to a sink. {@link #close()}
 * writes the final frame and closes the sink; after that {@link #checksum()}, {@link
 * #bytesWritten()} and {@link #plainBytes()} describe the stored backup.
 *
 * <p>On failure call {@link #abort()}, not {@link #close()}: closing seals whatever was written
 * into a complete, valid-looking backup. {@link #abort()} aborts the sink too when it is an {@link
 * AbortableOutputStream}, so nothing is stored.
 */
public final class SealedOutputStream extends OutputStream {
  private static final int INPUT_BUFFER_BYTES = 1 << 16;

  private enum State {
    OPEN,
    FAILED,
    CLOSED,
    ABORTED
  }

  private final OutputStream sink;
  private final FrameWriter frames;
  private final OutputStream input;
  private long plainBytes;
  private State state = State.OPEN;
  private String checksum;

  SealedOutputStream(OutputStream sink, FrameWriter frames, Compression compression)
      throws IOException {
    this.sink = sink;
    this.frames = frames;
    this.input = new BufferedOutputStream(compression.compressing(frames), INPUT_BUFFER_BYTES);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (state != State.OPEN) {
      throw new IOException("sealed backup stream is " + state.name().toLowerCase());
    }
    try {
      input.write(b, off, len);
      plainBytes += len;
    } catch (IOException | RuntimeException e) {
      state = State.FAILED;
      throw e;
    }
  }

  /** Does nothing: data reaches the sink frame by frame, and the last frame on close. */
  @Override
  public void flush() {}

  /**
   * Writes the rest and the final frame, then closes the sink. If an earlier write failed, aborts
   * instead and throws.
   */
  @Override
  public void close() throws IOException {
    if (state == State.CLOSED || state == State.ABORTED) {
      return;
    }
    if (state == State.FAILED) {
      abort();
      throw new IOException("an earlier write to the sealed backup failed; nothing was stored");
    }
    try {
      input.close();
    } catch (IOException | RuntimeException e) {
      abort();
      throw e;
    }
    state = State.CLOSED;
    checksum = frames.checksum();
    sink.close();
  }

  /**
   * Abandons the backup: releases the compressor and aborts the sink if it is an {@link
   * AbortableOutputStream} (otherwise closes it). Idempotent; does nothing after {@link #close()}.
   */
  public void abort() {
    if (state == State.CLOSED || state == State.ABORTED) {
      return;
    }
    state = State.ABORTED;
    frames.discard();
    try {
      input.close();
    } catch (IOException | RuntimeException e) {
      // Only frees the compressor; its output is discarded anyway.
    }
    if (sink instanceof AbortableOutputStream abortable) {
      abortable.abort();
    } else {
      try {
        sink.close();
      } catch (IOException e) {
        // Nothing more to do for a sink that cannot be aborted.
      }
    }
  }

  /** SHA-256 (lowercase hex) of the stored bytes: record it, restores check it. */
  public String checksum() {
    requireClosed();
    return checksum;
  }

  /** Size of the stored (sealed) backup in bytes. */
  public long bytesWritten() {
    requireClosed();
    return frames.storedBytes();
  }

  /** Bytes written into this stream, before compression. */
  public long plainBytes() {
    requireClosed();
    return plainBytes;
  }

  private void requireClosed() {
    if (state != State.CLOSED) {
      throw new IllegalStateException("the sealed backup is complete only after close()");
    }
  }
}

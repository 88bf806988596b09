package dev.coffer.backup.storage;

import java.io.OutputStream;

/**
 * A stream whose bytes become a stored object only when it is closed successfully. Until then
 * nothing is visible under the key; {@link #abort()} throws everything away.
 *
 * <p>Beware try-with-resources: it closes the stream after an exception too, which would store a
 * partial object. Call {@link #abort()} on failure, or use {@link BackupStore#put}, which does.
 */
public abstract class AbortableOutputStream extends OutputStream {

  /**
   * Discards what was written and releases the stream's resources; the object is never created (an
   * object already stored under the key stays as it was). Idempotent, never throws, and does
   * nothing after a successful {@link #close()}.
   */
  public abstract void abort();
}

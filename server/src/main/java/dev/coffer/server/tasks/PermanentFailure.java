package dev.coffer.server.tasks;

/** A failure that retrying cannot fix (the engine refused the request, for example). */
public final class PermanentFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PermanentFailure(String message) {
    super(message);
  }
}

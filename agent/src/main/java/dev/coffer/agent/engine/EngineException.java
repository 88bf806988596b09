package dev.coffer.agent.engine;

import dev.coffer.api.agent.ErrorKind;

/** A failure with a meaning the API can report. Messages never contain secrets. */
public final class EngineException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorKind kind;

  public EngineException(ErrorKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public ErrorKind kind() {
    return kind;
  }

  public static EngineException badRequest(String message) {
    return new EngineException(ErrorKind.BAD_REQUEST, message, null);
  }

  public static EngineException notFound(String message) {
    return new EngineException(ErrorKind.NOT_FOUND, message, null);
  }

  public static EngineException conflict(String message) {
    return new EngineException(ErrorKind.CONFLICT, message, null);
  }

  public static EngineException unsupported(String operation, String datastore) {
    return new EngineException(
        ErrorKind.UNSUPPORTED,
        "The '" + operation + "' operation is not supported for the '" + datastore + "' datastore.",
        null);
  }

  public static EngineException failure(String message) {
    return new EngineException(ErrorKind.ENGINE_FAILURE, message, null);
  }

  public static EngineException failure(String message, Throwable cause) {
    return new EngineException(ErrorKind.ENGINE_FAILURE, message, cause);
  }
}

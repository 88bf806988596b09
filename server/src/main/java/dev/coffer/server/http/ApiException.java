package dev.coffer.server.http;

import dev.coffer.api.datastores.Capability;

/**
 * A failure with a meaning: each subclass maps to exactly one Trove fault (status code and fault
 * name). Messages are shown to API clients, so they never contain secrets.
 */
public abstract sealed class ApiException extends RuntimeException
    permits ApiException.BadRequest,
        ApiException.Unauthorized,
        ApiException.Forbidden,
        ApiException.NotFound,
        ApiException.Conflict,
        ApiException.OverLimit,
        ApiException.UnprocessableEntity {
  private static final long serialVersionUID = 1L;

  private ApiException(String message) {
    super(message);
  }

  /**
   * Trove's 400 for an operation the instance's datastore does not declare; the same words for
   * every capability and engine.
   */
  public static BadRequest notSupported(Capability capability, String datastore) {
    return new BadRequest(
        "The '"
            + capability.operation()
            + "' operation is not supported for the '"
            + datastore
            + "' datastore.");
  }

  public abstract int status();

  public abstract String faultName();

  /** 400 badRequest. */
  public static final class BadRequest extends ApiException {
    private static final long serialVersionUID = 1L;

    public BadRequest(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 400;
    }

    @Override
    public String faultName() {
      return "badRequest";
    }
  }

  /** 401 unauthorized: no or bad credentials. */
  public static final class Unauthorized extends ApiException {
    private static final long serialVersionUID = 1L;

    public Unauthorized(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 401;
    }

    @Override
    public String faultName() {
      return "unauthorized";
    }
  }

  /** 403 forbidden: authenticated but not allowed. */
  public static final class Forbidden extends ApiException {
    private static final long serialVersionUID = 1L;

    public Forbidden(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 403;
    }

    @Override
    public String faultName() {
      return "forbidden";
    }
  }

  /** 404 itemNotFound (also for another project's objects). */
  public static final class NotFound extends ApiException {
    private static final long serialVersionUID = 1L;

    public NotFound(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 404;
    }

    @Override
    public String faultName() {
      return "itemNotFound";
    }
  }

  /** 409 conflict. */
  public static final class Conflict extends ApiException {
    private static final long serialVersionUID = 1L;

    public Conflict(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 409;
    }

    @Override
    public String faultName() {
      return "conflict";
    }
  }

  /** 413 overLimit: a quota or size limit. */
  public static final class OverLimit extends ApiException {
    private static final long serialVersionUID = 1L;

    public OverLimit(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 413;
    }

    @Override
    public String faultName() {
      return "overLimit";
    }
  }

  /** 422 unprocessableEntity: the object is in the wrong state for this action. */
  public static final class UnprocessableEntity extends ApiException {
    private static final long serialVersionUID = 1L;

    public UnprocessableEntity(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 422;
    }

    @Override
    public String faultName() {
      return "unprocessableEntity";
    }
  }
}

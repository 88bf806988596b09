package dev.coffer.api.agent;

/** How an engine-side failure maps to an API fault. */
public enum ErrorKind {
  /** The request is invalid for this engine (400 badRequest). */
  BAD_REQUEST,
  /** The named user, database or object does not exist (404 itemNotFound). */
  NOT_FOUND,
  /** The object already exists (409 conflict). */
  CONFLICT,
  /** The operation is not supported by this engine (400 badRequest). */
  UNSUPPORTED,
  /** Anything else: the engine failed (instance fault, logged by the control plane). */
  ENGINE_FAILURE
}

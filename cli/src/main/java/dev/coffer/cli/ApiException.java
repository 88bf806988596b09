package dev.coffer.cli;

/**
 * The server answered with a fault, {@code {"<faultName>":{"code":N,"message":"..."}}}. The hint is
 * chosen from the status and, for 404, from the kind of object the path names.
 */
final class ApiException extends CliException {
  private final int status;

  ApiException(int status, String message, String path) {
    super(message, hintFor(status, path));
    this.status = status;
  }

  int status() {
    return status;
  }

  static String hintFor(int status, String path) {
    return switch (status) {
      case 400 -> "correct the value named in the message and try again";
      case 401 -> "run 'coffer login'";
      case 403 -> "this needs the admin role or another project; ask an admin";
      case 404 -> notFoundHint(path);
      case 409 -> "the name is already in use; choose another or remove the existing one";
      case 413 -> "the project's quota is used up; delete what you no longer need";
      case 422 -> "the instance is busy; wait until 'coffer instance show' says ACTIVE";
      default ->
          status >= 500
              ? "the server failed; look at its log"
              : "check the command with 'coffer --help'";
    };
  }

  /** Points at the list command for the innermost kind of object in the path. */
  private static String notFoundHint(String path) {
    if (path.contains("/users")) {
      return path.startsWith("/coffer/")
          ? "check the name with 'coffer project list'"
          : "check the name with 'coffer user list INSTANCE'";
    }
    if (path.contains("/databases")) {
      return "check the name with 'coffer database list INSTANCE'";
    }
    if (path.startsWith("/backups")) {
      return "check the name with 'coffer backup list'";
    }
    if (path.contains("/instances")) {
      return "check the id with 'coffer instance list'";
    }
    if (path.contains("/flavors")) {
      return "check the flavor with 'coffer flavor list'";
    }
    if (path.contains("/datastores")) {
      return "check the name with 'coffer datastore list'";
    }
    if (path.contains("/tokens")) {
      return "check the id with 'coffer token list'";
    }
    if (path.contains("/projects")) {
      return "check the id with 'coffer project list'";
    }
    return "check the id and the server url";
  }
}

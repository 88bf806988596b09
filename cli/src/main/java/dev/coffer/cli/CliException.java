package dev.coffer.cli;

/** A failure to show the user as {@code error: <message>} followed by what to do next. */
class CliException extends RuntimeException {
  private final String hint;

  CliException(String message, String hint) {
    super(message);
    this.hint = hint;
  }

  CliException(String message, String hint, Throwable cause) {
    super(message, cause);
    this.hint = hint;
  }

  String hint() {
    return hint;
  }
}

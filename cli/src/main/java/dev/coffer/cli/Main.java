package dev.coffer.cli;

import java.io.Console;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Entry point of the {@code coffer} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    Cli cli = new Cli(System.getenv(), out, err, stderrIsTerminal(), Main::readPassword);
    System.exit(cli.execute(args));
  }

  private static char[] readPassword(String prompt) {
    Console console = System.console();
    return console == null ? null : console.readPassword("%s", prompt);
  }

  /**
   * Java 17 cannot ask whether stderr alone is a terminal; on Linux its file descriptor names the
   * device. Elsewhere a console on stdin/stdout is the best guess.
   */
  private static boolean stderrIsTerminal() {
    if ("dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try {
      String device = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return device.startsWith("/dev/pts/") || device.startsWith("/dev/tty");
    } catch (Exception e) {
      return System.console() != null;
    }
  }
}

package dev.coffer.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs the CLI in-process with its own environment, capturing stdout and stderr. */
final class CliRunner {
  record Result(int exitCode, String out, String err) {}

  final Map<String, String> env = new HashMap<>();

  CliRunner(Path configFile) {
    env.put("COFFER_CONFIG", configFile.toString());
  }

  /** Logged in: the server url, a token and a project come from the environment. */
  static CliRunner loggedIn(Path configFile, String url) {
    CliRunner runner = new CliRunner(configFile);
    runner.env.put("COFFER_URL", url);
    runner.env.put("COFFER_TOKEN", "tok-secret");
    runner.env.put("COFFER_PROJECT", "p1");
    return runner;
  }

  Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // No terminal: a password that is neither an option nor in the environment cannot be asked.
    Cli cli =
        new Cli(
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false,
            prompt -> null);
    int exitCode = cli.execute(args);
    return new Result(
        exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}

package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;

/**
 * Polls an instance every 500 ms until it is ACTIVE, ERROR or gone, or a backup until it is
 * COMPLETED or FAILED, showing the status and the elapsed time on stderr: a repainted spinner line
 * on a terminal, else one line per status change.
 */
final class Waiter {
  private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

  private final Cli cli;
  private final ApiClient api;
  private final Duration timeout;

  Waiter(Cli cli, ApiClient api, Duration timeout) {
    this.cli = cli;
    this.api = api;
    this.timeout = timeout;
  }

  /** Returns the last {@code GET /instances/{id}} body, whose status is ACTIVE. */
  JsonNode untilActive(String id, String label) {
    long started = System.nanoTime();
    try (StatusDisplay display = display(label)) {
      while (true) {
        JsonNode body = api.get("/instances/" + ApiClient.segment(id));
        String status = body.path("instance").path("status").asText("UNKNOWN");
        display.show(status, elapsed(started));
        if (status.equals("ACTIVE")) {
          return body;
        }
        if (status.equals("ERROR")) {
          throw failed(label, body.path("instance"));
        }
        pause(started, label, status, "coffer instance show " + label);
      }
    }
  }

  /**
   * Returns the last {@code GET /backups/{id}} body, whose status is COMPLETED; a FAILED backup
   * ends the wait with its fault message.
   */
  JsonNode untilBackupCompleted(String id, String label) {
    long started = System.nanoTime();
    try (StatusDisplay display = display(label)) {
      while (true) {
        JsonNode body = api.get("/backups/" + ApiClient.segment(id));
        String status = body.path("backup").path("status").asText("UNKNOWN");
        display.show(status, elapsed(started));
        if (status.equals("COMPLETED")) {
          return body;
        }
        if (status.equals("FAILED")) {
          String fault = body.path("backup").path("fault").path("message").asText("");
          throw new CliException(
              "backup " + label + " failed" + (fault.isEmpty() ? " (status FAILED)" : ": " + fault),
              "see 'coffer backup show "
                  + label
                  + "'; remove it with 'coffer backup delete "
                  + label
                  + "'");
        }
        pause(started, label, status, "coffer backup show " + label);
      }
    }
  }

  /**
   * Returns the replication set (as {@code GET /instances/{id}/replication}) once its primary is no
   * longer {@code oldPrimary} and no member is in a task; shows the first member's status.
   */
  JsonNode untilPrimaryChanged(String memberId, String oldPrimary, String label) {
    long started = System.nanoTime();
    try (StatusDisplay display = display(label)) {
      while (true) {
        JsonNode set =
            api.get("/instances/" + ApiClient.segment(memberId) + "/replication")
                .path("replication");
        String status =
            api.get("/instances/" + ApiClient.segment(memberId))
                .path("instance")
                .path("status")
                .asText("UNKNOWN");
        display.show(status, elapsed(started));
        if (!set.path("primary").asText().equals(oldPrimary) && status.equals("ACTIVE")) {
          return set;
        }
        if (status.equals("ERROR")) {
          throw failed(
              label, api.get("/instances/" + ApiClient.segment(memberId)).path("instance"));
        }
        pause(started, label, status, "coffer replica list " + label);
      }
    }
  }

  /**
   * Returns the last {@code GET /clusters/{id}} body once the cluster has no task and every member
   * is ACTIVE; a failed build, grow or shrink (no task, with a fault) ends the wait.
   */
  JsonNode untilClusterIdle(String id, String label) {
    long started = System.nanoTime();
    try (StatusDisplay display = display(label)) {
      while (true) {
        JsonNode body = api.get("/clusters/" + ApiClient.segment(id));
        JsonNode cluster = body.path("cluster");
        String task = cluster.path("task").path("name").asText("UNKNOWN");
        String status = cluster.path("status").asText(task);
        display.show(status, elapsed(started));
        if (task.equals("NONE")) {
          String fault = cluster.path("fault").path("message").asText("");
          if (!fault.isEmpty()) {
            throw new CliException(
                "cluster " + label + ": " + fault, "see 'coffer cluster show " + label + "'");
          }
          if (status.equals("ACTIVE")) {
            return body;
          }
        }
        pause(started, label, status, "coffer cluster show " + label);
      }
    }
  }

  /** Returns once {@code GET /clusters/{id}} answers 404. */
  void untilClusterGone(String id, String label) {
    long started = System.nanoTime();
    try (StatusDisplay display = display(label)) {
      while (true) {
        String status;
        try {
          JsonNode cluster = api.get("/clusters/" + ApiClient.segment(id)).path("cluster");
          status = cluster.path("status").asText(cluster.path("task").path("name").asText());
        } catch (ApiException e) {
          if (e.status() == 404) {
            display.show("DELETED", elapsed(started));
            return;
          }
          throw e;
        }
        display.show(status, elapsed(started));
        pause(started, label, status, "coffer cluster show " + label);
      }
    }
  }

  /** Returns once {@code GET /instances/{id}} answers 404. */
  void untilGone(String id, String label) {
    long started = System.nanoTime();
    // An instance deleted while in ERROR may still say ERROR at first; only a later ERROR counts.
    boolean sawOtherStatus = false;
    try (StatusDisplay display = display(label)) {
      while (true) {
        JsonNode instance;
        try {
          instance = api.get("/instances/" + ApiClient.segment(id)).path("instance");
        } catch (ApiException e) {
          if (e.status() == 404) {
            display.show("DELETED", elapsed(started));
            return;
          }
          throw e;
        }
        String status = instance.path("status").asText("UNKNOWN");
        display.show(status, elapsed(started));
        if (status.equals("ERROR") && sawOtherStatus) {
          throw failed(label, instance);
        }
        sawOtherStatus |= !status.equals("ERROR");
        pause(started, label, status, "coffer instance show " + label);
      }
    }
  }

  private static CliException failed(String label, JsonNode instance) {
    String fault = instance.path("fault").path("message").asText("");
    return new CliException(
        label + " failed" + (fault.isEmpty() ? " (status ERROR)" : ": " + fault),
        "see 'coffer instance show "
            + label
            + "'; remove it with 'coffer instance delete "
            + label
            + "'");
  }

  /**
   * @param showCommand the command that shows the awaited thing, for the hints
   */
  private void pause(long started, String label, String status, String showCommand) {
    if (elapsed(started).compareTo(timeout) >= 0) {
      throw new CliException(
          "gave up waiting for " + label + " after " + timeout.toSeconds() + " s; it is " + status,
          "check it with '" + showCommand + "', or wait longer with --timeout");
    }
    try {
      Thread.sleep(POLL_INTERVAL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted", "check it with '" + showCommand + "'");
    }
  }

  private static Duration elapsed(long started) {
    return Duration.ofNanos(System.nanoTime() - started);
  }

  static String clock(Duration elapsed) {
    long seconds = elapsed.toSeconds();
    return String.format("%d:%02d", seconds / 60, seconds % 60);
  }

  private StatusDisplay display(String label) {
    return cli.errIsTerminal()
        ? new SpinnerDisplay(cli.err, label)
        : new LineDisplay(cli.err, label);
  }

  /** Where the status of the instance or backup being waited for is shown. */
  private interface StatusDisplay extends AutoCloseable {
    void show(String status, Duration elapsed);

    @Override
    void close();
  }

  /** For logs and pipes: one line each time the status changes. */
  private static final class LineDisplay implements StatusDisplay {
    private final PrintStream err;
    private final String label;
    private String last;

    LineDisplay(PrintStream err, String label) {
      this.err = err;
      this.label = label;
    }

    @Override
    public void show(String status, Duration elapsed) {
      if (!status.equals(last)) {
        err.println(label + ": " + status + " (" + clock(elapsed) + ")");
        last = status;
      }
    }

    @Override
    public void close() {}
  }

  /** For a terminal: one line repainted by the progress bar library's own timer. */
  private static final class SpinnerDisplay implements StatusDisplay {
    private static final String FRAMES = "|/-\\";
    private final ProgressBar bar;

    SpinnerDisplay(PrintStream err, String label) {
      bar =
          ProgressBar.builder()
              .setTaskName(label)
              .setInitialMax(-1)
              .setUpdateIntervalMillis(150)
              .continuousUpdate()
              .setConsumer(new ConsoleProgressBarConsumer(err))
              .setRenderer(
                  (state, maxLength) -> {
                    Duration elapsed = state.getTotalElapsed();
                    char frame = FRAMES.charAt((int) (elapsed.toMillis() / 150 % FRAMES.length()));
                    String status = state.getExtraMessage();
                    String line =
                        frame
                            + " "
                            + state.getTaskName()
                            + "  "
                            + (status == null ? "" : status)
                            + "  "
                            + clock(elapsed);
                    // Pads so a shorter status fully covers a longer one on the same line.
                    int width = maxLength > 0 ? Math.min(maxLength - 1, 79) : 40;
                    return line.length() >= width ? line : line + " ".repeat(width - line.length());
                  })
              .build();
    }

    @Override
    public void show(String status, Duration elapsed) {
      bar.setExtraMessage(status);
    }

    @Override
    public void close() {
      bar.close();
    }
  }
}

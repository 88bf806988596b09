package dev.coffer.api.agent;

/**
 * Payload of {@link CommandType#READ_LOG}: the bytes from {@code offset} on, or (when {@code
 * tailLines} is positive) the file's last {@code tailLines} lines; never more than {@code maxBytes}
 * (the agent caps it further at {@link #MAX_BYTES}).
 */
public record GuestLogRead(String name, long offset, int maxBytes, int tailLines) {
  /** The most one command carries: larger reads take several commands. */
  public static final int MAX_BYTES = 1 << 20;

  public static GuestLogRead from(String name, long offset, int maxBytes) {
    return new GuestLogRead(name, offset, maxBytes, 0);
  }

  public static GuestLogRead tail(String name, int lines) {
    return new GuestLogRead(name, 0, MAX_BYTES, lines);
  }
}

package dev.coffer.agent.runtime;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.agent.engine.GuestLogFile;
import dev.coffer.api.agent.GuestLog;
import dev.coffer.api.agent.GuestLogChange;
import dev.coffer.api.agent.GuestLogChunk;
import dev.coffer.api.agent.GuestLogRead;
import dev.coffer.api.agent.GuestLogType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest-log commands for any {@link GuestLogEngine}: the engine says which files and turns logs
 * on and off; reading a file (sizes, first-line digests, bounded pieces, tails) is the same for
 * every engine. Messages are Trove's.
 */
final class GuestLogs {
  private static final Logger log = LoggerFactory.getLogger(GuestLogs.class);
  // a first line longer than this is hashed up to here: enough to tell one file from the next
  private static final int HEAD_BYTES = 4096;

  private final GuestLogEngine engine;

  GuestLogs(GuestLogEngine engine) {
    this.engine = engine;
  }

  List<GuestLog> list() {
    return engine.guestLogs().stream().map(GuestLogs::describe).toList();
  }

  GuestLog set(GuestLogChange change) {
    GuestLogFile file = find(change.name());
    if (file.type() == GuestLogType.SYS) {
      throw EngineException.badRequest(
          "Cannot "
              + (change.enabled() ? "enable" : "disable")
              + " a SYSTEM log ('"
              + file.name()
              + "').");
    }
    if (file.enabled() != change.enabled()) {
      engine.setGuestLog(file.name(), change.enabled());
      log.info("event=guest_log_set log={} enabled={}", file.name(), change.enabled());
    }
    return describe(find(change.name()));
  }

  GuestLogChunk read(GuestLogRead request) {
    GuestLogFile file = find(request.name());
    int max = Math.max(1, Math.min(request.maxBytes(), GuestLogRead.MAX_BYTES));
    try (FileChannel channel = FileChannel.open(file.file(), StandardOpenOption.READ)) {
      long size = channel.size();
      String head = headDigest(channel);
      if (request.tailLines() > 0) {
        long from = Math.max(0, size - max);
        byte[] bytes = readAt(channel, from, (int) (size - from));
        int start = tailStart(bytes, request.tailLines(), from > 0);
        return new GuestLogChunk(
            file.name(), from + start, Arrays.copyOfRange(bytes, start, bytes.length), size, head);
      }
      long offset = Math.max(0, Math.min(request.offset(), size));
      int length = (int) Math.min(max, size - offset);
      return new GuestLogChunk(file.name(), offset, readAt(channel, offset, length), size, head);
    } catch (NoSuchFileException e) {
      return new GuestLogChunk(file.name(), 0, new byte[0], 0, "");
    } catch (IOException e) {
      throw EngineException.failure("cannot read the " + file.name() + " log: " + e.getMessage());
    }
  }

  private GuestLogFile find(String name) {
    return engine.guestLogs().stream()
        .filter(f -> f.name().equals(name))
        .findFirst()
        .orElseThrow(() -> EngineException.notFound("Log '" + name + "' is not defined."));
  }

  private static GuestLog describe(GuestLogFile file) {
    try (FileChannel channel = FileChannel.open(file.file(), StandardOpenOption.READ)) {
      return new GuestLog(
          file.name(), file.type(), file.enabled(), channel.size(), headDigest(channel));
    } catch (NoSuchFileException e) {
      return new GuestLog(file.name(), file.type(), file.enabled(), 0, "");
    } catch (IOException e) {
      throw EngineException.failure("cannot read the " + file.name() + " log: " + e.getMessage());
    }
  }

  /**
   * Where the last {@code lines} lines of {@code bytes} start. A final line without its newline
   * counts; when {@code cut} (the buffer starts inside the file), a partial first line is dropped.
   */
  static int tailStart(byte[] bytes, int lines, boolean cut) {
    int end = bytes.length;
    if (end > 0 && bytes[end - 1] == '\n') {
      end--;
    }
    int seen = 0;
    for (int i = end - 1; i >= 0; i--) {
      if (bytes[i] == '\n' && ++seen == lines) {
        return i + 1;
      }
    }
    if (!cut) {
      return 0;
    }
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        return i + 1;
      }
    }
    return bytes.length;
  }

  private static String headDigest(FileChannel channel) throws IOException {
    byte[] head = readAt(channel, 0, (int) Math.min(HEAD_BYTES, channel.size()));
    if (head.length == 0) {
      return "";
    }
    int end = head.length;
    for (int i = 0; i < head.length; i++) {
      if (head[i] == '\n') {
        end = i + 1;
        break;
      }
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(head, 0, end);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readAt(FileChannel channel, long offset, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    long position = offset;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position);
      if (n < 0) {
        break;
      }
      position += n;
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }
}

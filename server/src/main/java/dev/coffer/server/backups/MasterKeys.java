package dev.coffer.server.backups;

import dev.coffer.backup.keys.BackupKeyException;
import dev.coffer.backup.keys.MasterKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master keys: the current one wraps every new data key; earlier ones are kept only to unwrap
 * the data keys they wrapped, until a rotation has re-wrapped those onto the current key. A wrapped
 * key names its master key's id, so each backup is unwrapped by the key that wrapped it.
 *
 * <p>Kept in a file ({@code master.key}, created at first start), the current key can be rotated
 * here: the new key replaces the file and the old one stays beside it as {@code
 * master.key.retired-<id>} until the operator removes it. Given in the settings ({@code
 * COFFER_MASTER_KEY}, earlier ones in {@code COFFER_PREVIOUS_MASTER_KEYS}), keys are rotated by the
 * operator changing the settings.
 */
public final class MasterKeys {
  private static final Logger log = LoggerFactory.getLogger(MasterKeys.class);
  private static final String RETIRED = ".retired-";
  private static final String NEXT = ".next";

  private final Optional<Path> file;
  private final Map<String, MasterKey> byId = new LinkedHashMap<>();
  private volatile MasterKey current;

  private MasterKeys(Optional<Path> file, MasterKey current, List<MasterKey> earlier) {
    this.file = file;
    this.current = current;
    byId.put(current.id(), current);
    earlier.forEach(k -> byId.putIfAbsent(k.id(), k));
  }

  /** One key and nothing to rotate (tests, tools). */
  public static MasterKeys of(MasterKey key) {
    return new MasterKeys(Optional.empty(), key, List.of());
  }

  /** Keys given in the settings: the current one and earlier ones, base64. */
  public static MasterKeys given(String currentBase64, List<String> earlierBase64) {
    List<MasterKey> earlier = new ArrayList<>();
    for (String key : earlierBase64) {
      earlier.add(MasterKey.fromBase64(key));
    }
    return new MasterKeys(Optional.empty(), MasterKey.fromBase64(currentBase64), earlier);
  }

  /**
   * The key kept in {@code file} (created if absent) and the retired keys beside it. A {@code
   * .next} file left by a rotation cut off before it took effect is loaded too, so no key that may
   * have wrapped anything is ever ignored. {@code earlierBase64} adds keys given in the settings.
   */
  public static MasterKeys inFile(Path file, List<String> earlierBase64) {
    MasterKey current = MasterKey.loadOrCreate(file);
    List<MasterKey> earlier = new ArrayList<>();
    for (String key : earlierBase64) {
      earlier.add(MasterKey.fromBase64(key));
    }
    String name = file.getFileName().toString();
    try (Stream<Path> siblings = Files.list(file.toAbsolutePath().getParent())) {
      for (Path sibling : siblings.sorted().toList()) {
        String other = sibling.getFileName().toString();
        if (other.startsWith(name + RETIRED) || other.equals(name + NEXT)) {
          earlier.add(MasterKey.load(sibling));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the master keys beside " + file, e);
    }
    return new MasterKeys(Optional.of(file), current, earlier);
  }

  public MasterKey current() {
    return current;
  }

  /** The key with this id, or an error naming the id (its key was removed or never given). */
  public synchronized MasterKey withId(String id) {
    MasterKey key = byId.get(id);
    if (key == null) {
      throw new BackupKeyException(
          "master key "
              + id
              + " is not configured: restore its file (master.key"
              + RETIRED
              + id
              + ") or add it to COFFER_PREVIOUS_MASTER_KEYS");
    }
    return key;
  }

  /** Ids of every known key, the current one first. */
  public synchronized List<String> ids() {
    return List.copyOf(byId.keySet());
  }

  /** {@code file} or {@code settings}: where the current key is kept, so whether it can rotate. */
  public String source() {
    return file.isPresent() ? "file" : "settings";
  }

  public boolean rotatable() {
    return file.isPresent();
  }

  /**
   * Makes a new current key. Every step leaves all keys on disk, so a crash anywhere loses none:
   * the new key is written and synced as {@code master.key.next}, the old one linked as {@code
   * master.key.retired-<id>}, then {@code .next} renamed over {@code master.key}.
   */
  public synchronized MasterKey rotate() {
    Path keyFile =
        file.orElseThrow(() -> new IllegalStateException("the master key is given in settings"));
    MasterKey old = current;
    MasterKey fresh = MasterKey.generate();
    Path dir = keyFile.toAbsolutePath().getParent();
    Path next = dir.resolve(keyFile.getFileName() + NEXT);
    Path retired = dir.resolve(keyFile.getFileName() + RETIRED + old.id());
    try {
      writePrivately(next, fresh.toBase64() + "\n");
      byId.put(fresh.id(), fresh);
      try {
        Files.createLink(retired, keyFile);
      } catch (FileAlreadyExistsException already) {
        // A rotation cut off after this step: the retired copy is there.
      }
      Files.move(
          next, keyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the new master key beside " + keyFile, e);
    }
    current = fresh;
    log.info(
        "event=master_key_rotated new={} retired={} retired_file={}",
        fresh.id(),
        old.id(),
        retired);
    return fresh;
  }

  private static void writePrivately(Path target, String content) throws IOException {
    Files.deleteIfExists(target);
    Files.createFile(
        target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
      channel.force(true);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename itself is atomic.
      log.debug("event=master_key_dir_sync_skipped dir={} error={}", dir, e.toString());
    }
  }

  @Override
  public String toString() {
    return "MasterKeys[current=" + current.id() + ", known=" + byId.keySet() + "]";
  }
}

package dev.coffer.server.compute.local;

import dev.coffer.agent.process.OsProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An instance's volume: a sparse ext4 image of the requested size, loop-mounted on the instance's
 * data directory (needs root), or just the directory when loop mounts are unavailable.
 */
final class Volumes {
  private static final Logger log = LoggerFactory.getLogger(Volumes.class);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private final boolean loop;

  Volumes(Path dir, boolean wantLoop) {
    this.dir = dir;
    this.loop = wantLoop && probe(dir);
    log.info("event=volumes mode={}", loop ? "loop-ext4" : "directory");
  }

  boolean loop() {
    return loop;
  }

  private static boolean probe(Path dir) {
    if (!OsProcesses.isRoot()) {
      return false;
    }
    Path image = dir.resolve(".probe.img");
    Path mount = dir.resolve(".probe");
    try {
      Files.createDirectories(mount);
      run("truncate", "-s", "16M", image.toString());
      run("mkfs.ext4", "-q", "-F", image.toString());
      run("mount", "-o", "loop", image.toString(), mount.toString());
      run("umount", mount.toString());
      return true;
    } catch (RuntimeException | IOException e) {
      log.warn("event=loop_volumes_unavailable reason=\"{}\"", e.getMessage());
      return false;
    } finally {
      try {
        Files.deleteIfExists(image);
        Files.deleteIfExists(mount);
      } catch (IOException ignored) {
        // best effort: the probe leaves nothing that matters
      }
    }
  }

  void ensureMounted(String instanceId, int sizeGb, Path mountPoint) throws IOException {
    Files.createDirectories(mountPoint);
    if (!loop || isMounted(mountPoint)) {
      return;
    }
    Files.createDirectories(dir);
    Path image = image(instanceId);
    if (!Files.exists(image)) {
      Path tmp = dir.resolve(instanceId + ".img.tmp");
      run("truncate", "-s", sizeGb + "G", tmp.toString());
      run("mkfs.ext4", "-q", "-F", "-m", "0", tmp.toString());
      Files.move(tmp, image);
    }
    run("mount", "-o", "loop,noatime", image.toString(), mountPoint.toString());
    Files.deleteIfExists(mountPoint.resolve("lost+found"));
  }

  /**
   * Grows a mounted volume online: the image file, then the loop device's size, then the ext4 file
   * system on it. Directory volumes have no size to change. Never shrinks. Throws if the kernel
   * refuses the online resize; {@link #growOffline} then does it unmounted.
   */
  void grow(String instanceId, int sizeGb, Path mountPoint) {
    if (!loop) {
      return;
    }
    String device =
        mountedDevice(mountPoint)
            .orElseThrow(
                () -> new IllegalStateException("the volume of " + instanceId + " is not mounted"));
    run("truncate", "-s", ">" + sizeGb + "G", image(instanceId).toString());
    run("losetup", "-c", device);
    run("resize2fs", device);
  }

  /** Grows the volume with its file system unmounted (every process of the instance stopped). */
  void growOffline(String instanceId, int sizeGb, Path mountPoint) {
    if (!loop) {
      return;
    }
    if (isMounted(mountPoint)) {
      run("umount", mountPoint.toString());
    }
    Path image = image(instanceId);
    run("truncate", "-s", ">" + sizeGb + "G", image.toString());
    // Cleanly unmounted just now: -f skips the "run e2fsck first" demand.
    run("resize2fs", "-f", image.toString());
  }

  void release(String instanceId, Path mountPoint) {
    if (isMounted(mountPoint)) {
      try {
        run("umount", mountPoint.toString());
      } catch (RuntimeException e) {
        run("umount", "-l", mountPoint.toString());
      }
    }
    try {
      Files.deleteIfExists(image(instanceId));
      Files.deleteIfExists(dir.resolve(instanceId + ".img.tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Set<String> present() {
    Set<String> ids = new HashSet<>();
    if (!Files.isDirectory(dir)) {
      return ids;
    }
    try (Stream<Path> files = Files.list(dir)) {
      files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9a-f-]{36}\\.img(\\.tmp)?"))
          .forEach(n -> ids.add(n.substring(0, 36)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ids;
  }

  private Path image(String instanceId) {
    return dir.resolve(instanceId + ".img");
  }

  private static Optional<String> mountedDevice(Path mountPoint) {
    try {
      String target = mountPoint.toAbsolutePath().toString();
      return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
          .map(line -> line.split(" "))
          .filter(f -> f.length > 1 && f[1].equals(target))
          .map(f -> f[0])
          .reduce((first, last) -> last);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean isMounted(Path mountPoint) {
    try {
      String target = mountPoint.toAbsolutePath().toString();
      return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
          .map(line -> line.split(" "))
          .anyMatch(f -> f.length > 1 && f[1].equals(target));
    } catch (IOException e) {
      return false;
    }
  }

  private static void run(String... command) {
    OsProcesses.run(List.of(command), Optional.empty(), COMMAND_TIMEOUT, Map.of());
  }
}

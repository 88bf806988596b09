package dev.coffer.agent.runtime;

import dev.coffer.agent.engine.DataVersion;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.UpgradableEngine;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the engine the way every start must: when the data was last run by another datastore
 * version (the control plane switched this instance's version and restarted its agent), the
 * engine's upgrade step runs first; after a successful start the data is recorded as this
 * version's.
 */
final class VersionedStart {
  private static final Logger log = LoggerFactory.getLogger(VersionedStart.class);

  private final Engine engine;
  private final Path dataDir;
  private final DataVersion current;

  VersionedStart(Engine engine, Path dataDir, String version, Map<String, String> binaries) {
    this.engine = engine;
    this.dataDir = dataDir;
    this.current = new DataVersion(version, binaries);
  }

  /** Upgrades the data if needed, starts (or adopts) the engine, and records the version. */
  void start() {
    Optional<DataVersion> last = DataVersion.read(dataDir);
    if (last.isPresent() && !last.get().version().equals(current.version())) {
      if (engine instanceof UpgradableEngine upgradable) {
        log.info(
            "event=data_upgrade_started from={} to={}", last.get().version(), current.version());
        long started = System.nanoTime();
        upgradable.upgradeFrom(last.get());
        log.info(
            "event=data_upgraded from={} to={} ms={}",
            last.get().version(),
            current.version(),
            (System.nanoTime() - started) / 1_000_000);
      } else {
        log.info(
            "event=data_upgrade_not_needed from={} to={} reason=\"the engine reads older data\"",
            last.get().version(),
            current.version());
      }
    }
    engine.start();
    if (last.isEmpty() || !last.get().equals(current)) {
      current.write(dataDir);
    }
  }
}

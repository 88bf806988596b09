package dev.coffer.api.datastores;

import java.util.Map;

/**
 * A datastore version found on this machine.
 *
 * @param version the version name clients use, for example {@code 10.11}
 * @param fullVersion what the engine reports, for example {@code 10.11.6-MariaDB}
 * @param binaries executables by role, passed to the agent unchanged
 */
public record InstalledVersion(
    String datastore, String version, String fullVersion, Map<String, String> binaries) {
  public InstalledVersion {
    binaries = Map.copyOf(binaries);
  }
}

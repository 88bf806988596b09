package dev.coffer.server.datastores;

import java.util.Map;

/**
 * One registered version of a datastore.
 *
 * @param installed whether its binaries were found at the last start
 */
public record DatastoreVersion(
    String id,
    String datastoreId,
    String datastoreName,
    String name,
    String fullVersion,
    Map<String, String> binaries,
    VersionState state,
    boolean installed) {

  public boolean usableForNewInstances() {
    return state == VersionState.ACTIVE && installed;
  }
}

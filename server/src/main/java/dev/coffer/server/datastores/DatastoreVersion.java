package dev.coffer.server.datastores;

import java.util.Map;
import java.util.Set;

/**
 * One registered version of a datastore.
 *
 * @param installed whether its binaries were found at the last start
 * @param visibility which projects it is offered to
 * @param projects the projects it is offered to when {@code visibility} is {@code PROJECTS}
 */
public record DatastoreVersion(
    String id,
    String datastoreId,
    String datastoreName,
    String name,
    String fullVersion,
    Map<String, String> binaries,
    VersionState state,
    boolean installed,
    Visibility visibility,
    Set<String> projects) {

  public DatastoreVersion {
    projects = Set.copyOf(projects);
  }

  public boolean usableForNewInstances() {
    return (state == VersionState.ACTIVE || state == VersionState.EVALUATION) && installed;
  }

  /** Whether a member of {@code projectId} may see it and create instances of it. */
  public boolean offeredTo(String projectId) {
    return state != VersionState.HIDDEN
        && (visibility == Visibility.PUBLIC || projects.contains(projectId));
  }
}

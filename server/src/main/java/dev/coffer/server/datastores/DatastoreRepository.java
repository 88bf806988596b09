package dev.coffer.server.datastores;

import java.util.List;
import java.util.Optional;

public interface DatastoreRepository {
  List<Datastore> datastores();

  Optional<Datastore> datastore(String idOrName);

  Datastore insertDatastore(String name);

  void setDefaultVersion(String datastoreId, String versionId);

  List<DatastoreVersion> versions(String datastoreId);

  Optional<DatastoreVersion> version(String id);

  /** Inserts or updates a version by (datastore, name); returns it. */
  DatastoreVersion upsertVersion(
      Datastore datastore,
      String name,
      String fullVersion,
      java.util.Map<String, String> binaries,
      boolean installed);

  void markAllUninstalled();

  void setState(String versionId, VersionState state);

  /** Replaces the version's visibility and its list of projects. */
  void setVisibility(String versionId, Visibility visibility, java.util.Set<String> projects);

  boolean projectExists(String projectId);
}

package dev.coffer.server.datastores;

import dev.coffer.agent.engine.EngineCatalog;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.ParameterSpec;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.identity.Principal;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datastores and versions Coffer offers. At start it registers every engine version found on
 * this machine (like {@code trove-manage datastore_version_update}); operators can then add
 * versions, hide or deprecate them and choose each datastore's default.
 */
public final class DatastoreCatalog {
  private static final Logger log = LoggerFactory.getLogger(DatastoreCatalog.class);

  private final DatastoreRepository repository;
  private final EngineCatalog engines;

  public DatastoreCatalog(DatastoreRepository repository, EngineCatalog engines) {
    this.repository = repository;
    this.engines = engines;
  }

  /** Registers installed versions; versions no longer found stay registered but not installed. */
  public synchronized void discover() {
    List<InstalledVersion> found = engines.discover();
    repository.markAllUninstalled();
    for (InstalledVersion installed : found) {
      register(
          installed.datastore(),
          installed.version(),
          installed.fullVersion(),
          installed.binaries(),
          true);
    }
    for (Datastore ds : repository.datastores()) {
      if (ds.defaultVersionId() == null
          || repository
              .version(ds.defaultVersionId())
              .filter(DatastoreVersion::usableForNewInstances)
              .isEmpty()) {
        repository.versions(ds.id()).stream()
            .filter(DatastoreVersion::usableForNewInstances)
            .max(Comparator.comparing(v -> versionKey(v.name())))
            .ifPresent(v -> repository.setDefaultVersion(ds.id(), v.id()));
      }
    }
  }

  /** Adds or updates a version (operator action or discovery). */
  public DatastoreVersion register(
      String datastoreName,
      String version,
      String fullVersion,
      Map<String, String> binaries,
      boolean installed) {
    descriptor(datastoreName);
    Datastore ds =
        repository
            .datastore(datastoreName)
            .orElseGet(() -> repository.insertDatastore(datastoreName));
    DatastoreVersion registered =
        repository.upsertVersion(ds, version, fullVersion, binaries, installed);
    log.info(
        "event=datastore_version_registered datastore={} version={} full_version={} installed={}",
        datastoreName,
        version,
        fullVersion,
        installed);
    return registered;
  }

  public DatastoreDescriptor descriptor(String datastoreName) {
    return engines
        .factory(datastoreName)
        .orElseThrow(
            () ->
                new ApiException.BadRequest(
                    "Datastore '" + datastoreName + "' is not known to this Coffer."))
        .descriptor();
  }

  /** The version's tunable parameters (its configuration group catalog); empty if none. */
  public List<ParameterSpec> parameters(DatastoreVersion version) {
    return engines
        .factory(version.datastoreName())
        .map(f -> f.parameters(version.name()))
        .orElse(List.of());
  }

  public List<Datastore> datastores() {
    return repository.datastores();
  }

  public Datastore datastore(String idOrName) {
    return repository
        .datastore(idOrName)
        .orElseThrow(
            () -> new ApiException.NotFound("Datastore '" + idOrName + "' cannot be found."));
  }

  /** Versions a caller may see: everything for admins, not hidden ones for members. */
  public List<DatastoreVersion> versions(Datastore ds, boolean admin) {
    return repository.versions(ds.id()).stream()
        .filter(v -> admin || v.state() != VersionState.HIDDEN)
        .sorted(Comparator.comparing(v -> versionKey(v.name())))
        .toList();
  }

  /** Versions a caller sees: everything for admins, else those offered to the caller's project. */
  public List<DatastoreVersion> versionsFor(Datastore ds, Principal principal) {
    return repository.versions(ds.id()).stream()
        .filter(v -> principal.isAdmin() || v.offeredTo(principal.projectId()))
        .sorted(Comparator.comparing(v -> versionKey(v.name())))
        .toList();
  }

  /** A version the caller sees, by id; 404 otherwise. */
  public DatastoreVersion versionFor(String id, Principal principal) {
    return repository
        .version(id)
        .filter(v -> principal.isAdmin() || v.offeredTo(principal.projectId()))
        .orElseThrow(
            () -> new ApiException.NotFound("Datastore version '" + id + "' cannot be found."));
  }

  /** A version of {@code ds} the caller sees, by id or name; 404 otherwise. */
  public DatastoreVersion versionFor(Datastore ds, String idOrName, Principal principal) {
    return versionsFor(ds, principal).stream()
        .filter(v -> v.id().equals(idOrName) || v.name().equals(idOrName))
        .findFirst()
        .orElseThrow(
            () ->
                new ApiException.NotFound(
                    "Datastore version '"
                        + idOrName
                        + "' cannot be found for datastore '"
                        + ds.name()
                        + "'."));
  }

  public DatastoreVersion version(String id, boolean admin) {
    return repository
        .version(id)
        .filter(v -> admin || v.state() != VersionState.HIDDEN)
        .orElseThrow(
            () -> new ApiException.NotFound("Datastore version '" + id + "' cannot be found."));
  }

  /** Finds a version of {@code ds} by id or name. */
  public DatastoreVersion version(Datastore ds, String idOrName, boolean admin) {
    return versions(ds, admin).stream()
        .filter(v -> v.id().equals(idOrName) || v.name().equals(idOrName))
        .findFirst()
        .orElseThrow(
            () ->
                new ApiException.NotFound(
                    "Datastore version '"
                        + idOrName
                        + "' cannot be found for datastore '"
                        + ds.name()
                        + "'."));
  }

  /**
   * The version a new instance gets: the named one, or the datastore's default, or (no datastore
   * given) the default of the first datastore that has one. Refuses hidden, deprecated and
   * uninstalled versions, and versions not offered to {@code projectId}, with a 400 naming the
   * field.
   */
  public DatastoreVersion forNewInstance(
      String projectId, Optional<String> datastoreName, Optional<String> versionName) {
    Datastore ds;
    if (datastoreName.isPresent()) {
      ds =
          repository
              .datastore(datastoreName.get())
              .orElseThrow(
                  () ->
                      new ApiException.BadRequest(
                          "Validation error: instance['datastore']['type'] '"
                              + datastoreName.get()
                              + "' is not a known datastore; see GET /datastores."));
    } else {
      ds =
          repository.datastores().stream()
              .filter(d -> d.defaultVersionId() != null)
              .findFirst()
              .orElseThrow(
                  () ->
                      new ApiException.BadRequest("No datastore is installed; ask the operator."));
    }
    DatastoreVersion version;
    if (versionName.isPresent()) {
      version =
          repository.versions(ds.id()).stream()
              .filter(v -> v.name().equals(versionName.get()) || v.id().equals(versionName.get()))
              .filter(v -> v.offeredTo(projectId))
              .findFirst()
              .orElseThrow(
                  () ->
                      new ApiException.BadRequest(
                          "Validation error: instance['datastore']['version'] '"
                              + versionName.get()
                              + "' is not a version of datastore '"
                              + ds.name()
                              + "'."));
    } else {
      version =
          Optional.ofNullable(ds.defaultVersionId())
              .flatMap(repository::version)
              .orElseThrow(
                  () ->
                      new ApiException.BadRequest(
                          "Datastore '"
                              + ds.name()
                              + "' has no default version; give instance['datastore']['version']."));
    }
    if (!version.offeredTo(projectId)) {
      throw new ApiException.BadRequest(
          "Validation error: instance['datastore']['version'] the default version '"
              + version.name()
              + "' of datastore '"
              + ds.name()
              + "' is not offered to this project; name a version from GET /datastores.");
    }
    if (version.state() == VersionState.DEPRECATED) {
      throw new ApiException.BadRequest(
          "Datastore version '"
              + version.name()
              + "' of '"
              + ds.name()
              + "' is deprecated; choose another version.");
    }
    if (!version.installed()) {
      throw new ApiException.BadRequest(
          "Datastore version '"
              + version.name()
              + "' of '"
              + ds.name()
              + "' is not installed on this Coffer.");
    }
    return version;
  }

  public void setState(DatastoreVersion version, VersionState state) {
    repository.setState(version.id(), state);
    log.info("event=datastore_version_state version={} state={}", version.id(), state);
  }

  /** Offers the version to every project, or only to {@code projects} (which must exist). */
  public void setVisibility(DatastoreVersion version, Visibility visibility, Set<String> projects) {
    repository.setVisibility(
        version.id(), visibility, visibility == Visibility.PUBLIC ? Set.of() : projects);
    log.info(
        "event=datastore_version_visibility version={} visibility={} projects={}",
        version.id(),
        visibility,
        projects);
  }

  public boolean projectExists(String projectId) {
    return repository.projectExists(projectId);
  }

  public void setDefault(Datastore ds, DatastoreVersion version) {
    repository.setDefaultVersion(ds.id(), version.id());
  }

  /** Orders "10.11" after "10.6" and "15" after "9". */
  static String versionKey(String name) {
    StringBuilder key = new StringBuilder();
    for (String part : name.split("\\.")) {
      key.append(part.matches("\\d+") ? "%08d".formatted(Long.parseLong(part)) : part).append('.');
    }
    return key.toString();
  }
}

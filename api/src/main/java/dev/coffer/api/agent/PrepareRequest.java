package dev.coffer.api.agent;

import java.util.List;
import java.util.Map;

/**
 * Initial databases and users to create once the engine runs, or ({@code restore} not null) the
 * backups to fill the new instance from before it starts serving.
 *
 * @param logArchive where this instance archives its change log, for engines with point-in-time
 *     recovery; else null
 * @param replicaOf for a new replica: its source; the instance then creates no databases or users
 *     of its own (they replicate from the source); else null
 * @param configuration the configuration group the instance is created with (as for {@link
 *     CommandType#APPLY_CONFIGURATION}); the engine serves only once every value is in effect
 */
public record PrepareRequest(
    List<DatabaseSpec> databases,
    List<UserSpec> users,
    RestoreRequest restore,
    LogArchive logArchive,
    ReplicaSetup replicaOf,
    Map<String, String> configuration) {
  public PrepareRequest(List<DatabaseSpec> databases, List<UserSpec> users) {
    this(databases, users, null, null, null, null);
  }

  public PrepareRequest(
      List<DatabaseSpec> databases,
      List<UserSpec> users,
      RestoreRequest restore,
      LogArchive logArchive,
      ReplicaSetup replicaOf) {
    this(databases, users, restore, logArchive, replicaOf, null);
  }

  public PrepareRequest(
      List<DatabaseSpec> databases,
      List<UserSpec> users,
      RestoreRequest restore,
      LogArchive logArchive) {
    this(databases, users, restore, logArchive, null, null);
  }

  public PrepareRequest(
      List<DatabaseSpec> databases, List<UserSpec> users, RestoreRequest restore) {
    this(databases, users, restore, null, null, null);
  }

  public PrepareRequest {
    databases = databases == null ? List.of() : List.copyOf(databases);
    users = users == null ? List.of() : List.copyOf(users);
    configuration = configuration == null ? Map.of() : Map.copyOf(configuration);
  }
}

package dev.coffer.api.datastores;

import java.util.Set;

/**
 * Declared facts about one datastore (engine family), used by the control plane to validate
 * requests without knowing the engine's syntax.
 *
 * @param name the Trove datastore name, for example {@code mariadb}
 * @param defaultPort the engine's usual client port
 * @param databaseNames rule for database names (ignored when {@link Capability#DATABASES} is
 *     absent)
 * @param userNames rule for user names
 * @param reservedUsers names a client may not create, change or delete
 * @param reservedDatabases databases a client may not create or delete
 * @param rootUser the name of the superuser that root enable creates
 * @param clientHint how to connect with the engine's own client; {@code {host}}, {@code {port}} and
 *     {@code {user}} are replaced
 */
public record DatastoreDescriptor(
    String name,
    int defaultPort,
    Set<Capability> capabilities,
    NameRule databaseNames,
    NameRule userNames,
    Set<String> reservedUsers,
    Set<String> reservedDatabases,
    String rootUser,
    String clientHint) {

  public DatastoreDescriptor {
    capabilities = Set.copyOf(capabilities);
    reservedUsers = Set.copyOf(reservedUsers);
    reservedDatabases = Set.copyOf(reservedDatabases);
  }

  public boolean supports(Capability capability) {
    return capabilities.contains(capability);
  }
}

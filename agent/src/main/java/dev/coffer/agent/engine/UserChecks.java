package dev.coffer.agent.engine;

import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;

/**
 * The checks an engine makes on a user request before its own syntax sees the name or password (the
 * control plane checks them too; the agent does again because a name that smuggles syntax would
 * grant permissions), and the faults every engine answers with the same words.
 */
public final class UserChecks {
  private UserChecks() {}

  /** The datastore's name rule and its reserved names. */
  public static void requireValidName(DatastoreDescriptor datastore, String name) {
    datastore
        .userNames()
        .violation(name)
        .ifPresent(
            why -> {
              throw EngineException.badRequest("User name \"" + name + "\" " + why + ".");
            });
    if (datastore.reservedUsers().contains(name)) {
      throw EngineException.badRequest(
          "User name \"" + name + "\" is on the reserved list: " + datastore.reservedUsers() + ".");
    }
  }

  /** For engines whose users have no host part: only Trove's "any host" ({@code %}). */
  public static void requireNoHost(String host, String datastore) {
    if (!"%".equals(host)) {
      throw EngineException.unsupported(Capability.USER_HOSTS.operation(), datastore);
    }
  }

  public static String requirePassword(String password) {
    if (password == null || password.isEmpty()) {
      throw EngineException.badRequest("A password is required.");
    }
    return password;
  }

  public static EngineException alreadyExists(String name) {
    return EngineException.conflict("A user with the name \"" + name + "\" already exists.");
  }

  public static EngineException notFound(String name) {
    return EngineException.notFound("User \"" + name + "\" was not found.");
  }
}

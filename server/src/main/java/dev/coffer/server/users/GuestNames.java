package dev.coffer.server.users;

import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Validates database and user names against the datastore's declared rules, at request time (Trove
 * leaves this to the guest and answers 202 for names that then fail).
 */
public final class GuestNames {
  private static final String HOST_PATTERN = "%?[A-Za-z0-9_().:-]*%?";

  private GuestNames() {}

  public static DatabaseSpec database(Fields db, DatastoreDescriptor ds) {
    String name = db.string("name", 255);
    checkDatabaseName(db.at("name"), name, ds);
    Optional<String> charset = db.optionalString("character_set", 64);
    Optional<String> collate = db.optionalString("collate", 64);
    charset.ifPresent(c -> requireWord(db.at("character_set"), c));
    collate.ifPresent(c -> requireWord(db.at("collate"), c));
    return new DatabaseSpec(name, charset.orElse(null), collate.orElse(null));
  }

  public static void checkDatabaseName(String path, String name, DatastoreDescriptor ds) {
    ds.databaseNames()
        .violation(name)
        .ifPresent(
            reason -> {
              throw Fields.invalid(path, "'" + name + "' " + reason);
            });
    if (ds.reservedDatabases().contains(name)) {
      throw new ApiException.BadRequest(
          "Database name \""
              + name
              + "\" is on the reserved list: "
              + ds.reservedDatabases().stream().sorted().toList()
              + ".");
    }
  }

  public static UserSpec user(Fields user, DatastoreDescriptor ds) {
    String name = user.string("name", 255);
    checkUserName(user.at("name"), name, ds);
    String password = password(user, "password", true).orElseThrow();
    String host = host(user, ds);
    List<String> databases = new ArrayList<>();
    List<Fields> dbs = user.objects("databases", 100);
    if (!dbs.isEmpty() && !ds.supports(Capability.USER_ACCESS)) {
      throw ApiException.notSupported(Capability.USER_ACCESS, ds.name());
    }
    for (Fields db : dbs) {
      String dbName = db.string("name", 255);
      checkDatabaseName(db.at("name"), dbName, ds);
      databases.add(dbName);
    }
    return new UserSpec(name, host, password, databases);
  }

  public static void checkUserName(String path, String name, DatastoreDescriptor ds) {
    ds.userNames()
        .violation(name)
        .ifPresent(
            reason -> {
              throw Fields.invalid(path, "'" + name + "' " + reason);
            });
    if (ds.reservedUsers().contains(name)) {
      throw new ApiException.BadRequest(
          "User name \""
              + name
              + "\" is on the reserved list: "
              + ds.reservedUsers().stream().sorted().toList()
              + ".");
    }
  }

  public static Optional<String> password(Fields fields, String field, boolean required) {
    Optional<String> password = fields.optionalString(field, 255);
    if (password.isEmpty() && required) {
      throw Fields.invalid(fields.at(field), "is a required property");
    }
    password.ifPresent(
        p -> {
          if (!p.matches("(?s).*[A-Za-z0-9].*")) {
            throw Fields.invalid(fields.at(field), "must contain at least one letter or digit");
          }
          if (p.contains("'") || p.contains("\\") || p.contains("\"") || !p.strip().equals(p)) {
            throw Fields.invalid(
                fields.at(field),
                "must not contain quotes or backslashes, nor start or end with spaces");
          }
        });
    return password;
  }

  private static String host(Fields user, DatastoreDescriptor ds) {
    Optional<String> host = user.optionalString("host", 60);
    if (host.isEmpty() || host.get().equals("%")) {
      return "%";
    }
    if (!ds.supports(Capability.USER_HOSTS)) {
      throw Fields.invalid(
          user.at("host"),
          "is not supported for the '" + ds.name() + "' datastore (users have no host part)");
    }
    checkHost(user.at("host"), host.get());
    return host.get();
  }

  public static void checkHost(String path, String host) {
    if (!host.matches(HOST_PATTERN)) {
      throw Fields.invalid(
          path, "'" + host + "' must be a host name, IP address or pattern such as 10.0.0.%");
    }
  }

  /**
   * Parses Trove's {@code name@host} user id (the last {@code @} splits; no host means {@code %}).
   */
  public static UserRef userRef(String id, DatastoreDescriptor ds) {
    int at = id.lastIndexOf('@');
    String name = at < 0 ? id : id.substring(0, at);
    String host = at < 0 || at == id.length() - 1 ? "%" : id.substring(at + 1);
    checkUserName("user", name, ds);
    if (!host.equals("%")) {
      if (!ds.supports(Capability.USER_HOSTS)) {
        throw new ApiException.BadRequest(
            "Users of the '" + ds.name() + "' datastore have no host part: use '" + name + "'.");
      }
      checkHost("host", host);
    }
    return new UserRef(name, host);
  }

  private static void requireWord(String path, String value) {
    if (!value.matches("[A-Za-z0-9_]+")) {
      throw Fields.invalid(path, "'" + value + "' must contain only letters, digits and '_'");
    }
  }
}

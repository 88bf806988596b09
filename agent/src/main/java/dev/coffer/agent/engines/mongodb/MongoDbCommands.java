package dev.coffer.agent.engines.mongodb;

import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.AUTH_DB;

import dev.coffer.api.agent.EngineMetrics;
import java.util.List;
import org.bson.Document;

/**
 * Every command document the engine sends, built in one place so that tests can assert their exact
 * BSON. User commands run in the {@code admin} database (every Coffer user is defined there);
 * {@link #createMarker()} and {@link #dropDatabase()} run in the user database they act on.
 *
 * <p>Documents holding a {@code pwd} must never be logged; the driver itself redacts {@code
 * createUser} and {@code updateUser} from its command log.
 */
final class MongoDbCommands {
  /** Clients' users get this role on each database they are granted. */
  static final String USER_ROLE = "readWrite";

  static final String ROOT_ROLE = "root";

  /**
   * MongoDB creates a database with its first collection and lists no empty database, so "create
   * database" creates this collection in it.
   */
  static final String MARKER_COLLECTION = "coffer_marker";

  private MongoDbCommands() {}

  static Document hello() {
    return new Document("hello", 1);
  }

  static Document ping() {
    return new Document("ping", 1);
  }

  static Document buildInfo() {
    return new Document("buildInfo", 1);
  }

  /** A one-member replica set of this instance's own address. */
  static Document replSetInitiate(String replicaSet, String host, int port) {
    return new Document(
        "replSetInitiate",
        new Document("_id", replicaSet)
            .append("members", List.of(new Document("_id", 0).append("host", host + ":" + port))));
  }

  static Document serverStatus() {
    return new Document("serverStatus", 1);
  }

  /**
   * The uniform load figures from {@code serverStatus}: open connections ({@code
   * connections.current}) and every operation counted since start (the sum of {@code opcounters}:
   * insert, query, update, delete, getmore, command).
   */
  static EngineMetrics metrics(Document serverStatus) {
    Document connections = serverStatus.get("connections", new Document());
    Document counters = serverStatus.get("opcounters", new Document());
    long operations = 0;
    for (String name : List.of("insert", "query", "update", "delete", "getmore", "command")) {
      Object value = counters.get(name);
      if (value instanceof Number n) {
        operations += n.longValue();
      }
    }
    Object current = connections.get("current");
    return new EngineMetrics(current instanceof Number n ? n.longValue() : 0, operations);
  }

  static Document replSetGetStatus() {
    return new Document("replSetGetStatus", 1);
  }

  /**
   * {@code force}: without it a primary only shuts down once a secondary has caught up, and a
   * one-member set has none; its data is journaled, so nothing is lost.
   */
  static Document shutdown() {
    return new Document("shutdown", 1).append("force", true);
  }

  // ---- users --------------------------------------------------------------------------------

  static Document createUser(String name, String password, List<Document> roles) {
    return new Document("createUser", name).append("pwd", password).append("roles", roles);
  }

  /** The agent's own account, created through the localhost exception on the first start. */
  static Document createAdmin(String password) {
    return createUser(ADMIN_USER, password, List.of(role(ROOT_ROLE, AUTH_DB)));
  }

  static Document createClientUser(String name, String password, List<String> databases) {
    return createUser(name, password, readWrite(databases));
  }

  static Document createRoot(String name, String password) {
    return createUser(name, password, List.of(role(ROOT_ROLE, AUTH_DB)));
  }

  /** Sets the password, and the roles when given (they replace the user's roles). */
  static Document updateUser(String name, String password, List<Document> roles) {
    Document command = new Document("updateUser", name).append("pwd", password);
    if (roles != null) {
      command.append("roles", roles);
    }
    return command;
  }

  static Document dropUser(String name) {
    return new Document("dropUser", name);
  }

  static Document usersInfo() {
    return new Document("usersInfo", 1);
  }

  static Document usersInfo(String name) {
    return new Document("usersInfo", new Document("user", name).append("db", AUTH_DB));
  }

  static Document grantRolesToUser(String name, List<String> databases) {
    return new Document("grantRolesToUser", name).append("roles", readWrite(databases));
  }

  static Document revokeRolesFromUser(String name, List<String> databases) {
    return new Document("revokeRolesFromUser", name).append("roles", readWrite(databases));
  }

  static List<Document> readWrite(List<String> databases) {
    return databases.stream().distinct().map(db -> role(USER_ROLE, db)).toList();
  }

  static Document role(String role, String db) {
    return new Document("role", role).append("db", db);
  }

  // ---- databases ----------------------------------------------------------------------------

  static Document listDatabases() {
    return new Document("listDatabases", 1).append("nameOnly", true);
  }

  static Document createMarker() {
    return new Document("create", MARKER_COLLECTION);
  }

  static Document dropDatabase() {
    return new Document("dropDatabase", 1);
  }

  // ---- data check ---------------------------------------------------------------------------

  /** The {@code listCollections} filter that leaves out views (which have nothing to validate). */
  static Document collectionsOnly() {
    return new Document("type", "collection");
  }

  /** {@code full}: also checks every document and index entry, as a restore drill should. */
  static Document validate(String collection) {
    return new Document("validate", collection).append("full", true);
  }

  static Document count(String collection) {
    return new Document("count", collection);
  }
}

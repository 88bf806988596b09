package dev.coffer.agent.engines.mongodb;

import static dev.coffer.agent.engines.mongodb.MongoDbEngineFactory.AUTH_DB;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ReplicationStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.BsonTimestamp;
import org.bson.Document;

/**
 * MongoDB replication: every instance is already a member of a replica set named {@value
 * MongoDbConfig#REPLICA_SET}; a replica joins its source's set as one more member, and MongoDB's
 * initial sync copies everything (no backup seeds it). Every command document is built here so that
 * tests can assert its exact BSON; {@link MongoDbEngine} runs them.
 *
 * <p><b>The shared key file.</b> Members of one set authenticate to each other with the same key
 * file, and mongod reads it only when it starts. The key is therefore derived from the set's
 * replication password, which the control plane gives to every member ({@link #keyFromPassword}:
 * base64 of a SHA-256, 44 characters of MongoDB's allowed alphabet). A replica writes it in {@code
 * configureReplica}, before its first start; a source gets it in {@code prepareSource}, and
 * <b>restarts once</b> when it first becomes a source (its key until then was a random one of its
 * own). Later {@code prepareSource} calls find the same key and do not restart.
 *
 * <p><b>The agent's account in a set.</b> Users replicate: after the initial sync a replica holds
 * the source's users, the source's {@code os_admin} (with the source's password) included. Every
 * member's agent therefore manages its engine as {@value #REPLICATION_USER} (role {@code root}),
 * whose password is the set's replication password, which every member knows. A member also never
 * initiates a set of its own nor waits to be primary when it starts.
 *
 * <p><b>Roles.</b> {@code replSetGetStatus}: PRIMARY is MongoDB's primary; a secondary is a REPLICA
 * of the current primary, or FENCED when its agent fenced it ({@code replSetStepDown} then {@code
 * replSetFreeze}, so that it is not elected again). A fenced MongoDB secondary still applies what
 * the set's primary writes: a set has one history, so it never diverges. Progress is the member's
 * applied optime in seconds; lag is the primary's optime minus this member's.
 *
 * <p><b>Synchronous commits.</b> Ignored: clients choose {@code w: "majority"} per write.
 */
final class MongoDbReplication {
  static final String REPLICATION_USER = "os_repl";

  /** The member tag naming the Coffer instance a member is. */
  static final String INSTANCE_TAG = "coffer_instance";

  /** How long {@code replSetStepDown} keeps a primary from standing again, in seconds. */
  static final int STEP_DOWN_SECONDS = 60;

  /** {@code replSetFreeze}'s length when fencing: a year, until a repoint or promote lifts it. */
  static final int FENCE_FREEZE_SECONDS = 365 * 24 * 3600;

  /** A promoted member's priority, above every other member's 1. */
  static final int PROMOTED_PRIORITY = 2;

  static final int STATE_PRIMARY = 1;
  static final int STATE_SECONDARY = 2;

  private MongoDbReplication() {}

  // ---- the key file --------------------------------------------------------------------------

  /**
   * The set's key file contents from its replication password: deterministic, so every member
   * derives the same; base64 (MongoDB accepts 6 to 1024 characters of the base64 alphabet).
   */
  static String keyFromPassword(String password) {
    if (password == null || password.isEmpty()) {
      throw EngineException.badRequest("The replication account needs a password.");
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("coffer-mongodb-keyfile\0".getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder()
          .encodeToString(sha.digest(password.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  // ---- command documents ---------------------------------------------------------------------

  /** The replication account: it replicates nothing itself, but is the agents' account in a set. */
  static Document createReplicationUser(String password) {
    return MongoDbCommands.createUser(
        REPLICATION_USER,
        password,
        List.of(MongoDbCommands.role(MongoDbCommands.ROOT_ROLE, AUTH_DB)));
  }

  static Document updateReplicationUser(String password) {
    return MongoDbCommands.updateUser(
        REPLICATION_USER,
        password,
        List.of(MongoDbCommands.role(MongoDbCommands.ROOT_ROLE, AUTH_DB)));
  }

  static Document replSetGetConfig() {
    return new Document("replSetGetConfig", 1);
  }

  static Document replSetReconfig(Document config, boolean force) {
    Document command = new Document("replSetReconfig", config);
    if (force) {
      command.append("force", true);
    }
    return command;
  }

  /** {@code force}: a fence must take effect even when no secondary has caught up. */
  static Document stepDown() {
    return new Document("replSetStepDown", STEP_DOWN_SECONDS).append("force", true);
  }

  /** A planned switchover: the primary waits for a secondary to catch up before it steps down. */
  static Document stepDownForSwitchover() {
    return new Document("replSetStepDown", STEP_DOWN_SECONDS)
        .append("secondaryCatchUpPeriodSecs", 10);
  }

  static Document freeze(int seconds) {
    return new Document("replSetFreeze", seconds);
  }

  static Document stepUp() {
    return new Document("replSetStepUp", 1);
  }

  // ---- configurations ------------------------------------------------------------------------

  static List<Document> members(Document config) {
    return config.getList("members", Document.class);
  }

  static Optional<Document> member(Document config, String host) {
    return members(config).stream().filter(m -> host.equals(m.getString("host"))).findFirst();
  }

  private static Document nextVersion(Document config, List<Document> members) {
    Document next = new Document(config);
    next.put("version", config.get("version", Number.class).intValue() + 1);
    next.put("members", members);
    return next;
  }

  /**
   * The set's configuration with {@code host} added as a voting secondary ({@code _id} one above
   * the highest), or empty when it is a member already.
   */
  static Optional<Document> withMember(Document config, String host, String instanceId) {
    if (member(config, host).isPresent()) {
      return Optional.empty();
    }
    int id =
        members(config).stream()
                .mapToInt(m -> m.get("_id", Number.class).intValue())
                .max()
                .orElse(-1)
            + 1;
    List<Document> members = new ArrayList<>(members(config));
    members.add(
        new Document("_id", id)
            .append("host", host)
            .append("priority", 1)
            .append("votes", 1)
            .append("tags", new Document(INSTANCE_TAG, instanceId)));
    return Optional.of(nextVersion(config, members));
  }

  /**
   * The set's configuration without the member of that Coffer instance (found by its {@value
   * #INSTANCE_TAG} tag: the source knows a replica by id only), or empty when it is no member.
   */
  static Optional<Document> withoutInstance(Document config, String instanceId) {
    List<Document> members =
        members(config).stream().filter(m -> !instanceId.equals(instanceOf(m))).toList();
    if (members.size() == members(config).size()) {
      return Optional.empty();
    }
    return Optional.of(nextVersion(config, members));
  }

  private static String instanceOf(Document member) {
    Object tags = member.get("tags");
    return tags instanceof Document d ? d.getString(INSTANCE_TAG) : null;
  }

  /**
   * {@code host} with the highest priority, every other member priority 1: the set keeps electing
   * it. Empty when it already has it.
   */
  static Optional<Document> withPreferred(Document config, String host) {
    List<Document> members = new ArrayList<>();
    boolean changed = false;
    for (Document m : members(config)) {
      int wanted = host.equals(m.getString("host")) ? PROMOTED_PRIORITY : 1;
      Number current = m.get("priority", Number.class);
      changed |= current == null || current.doubleValue() != wanted;
      members.add(new Document(m).append("priority", wanted));
    }
    return changed ? Optional.of(nextVersion(config, members)) : Optional.empty();
  }

  /**
   * The configuration a member forces on itself when the primary is gone: only the members that
   * {@code replSetGetStatus} reports healthy stay (the others would keep a majority out of reach),
   * this one with the highest priority. A repoint adds a lost member back.
   */
  static Document forcedFor(Document config, Document status, String host) {
    List<String> healthy =
        status.getList("members", Document.class).stream()
            .filter(m -> m.get("health", Number.class).intValue() == 1)
            .map(m -> m.getString("name"))
            .toList();
    List<Document> members = new ArrayList<>();
    for (Document m : members(config)) {
      String name = m.getString("host");
      if (name.equals(host) || healthy.contains(name)) {
        members.add(new Document(m).append("priority", name.equals(host) ? PROMOTED_PRIORITY : 1));
      }
    }
    return nextVersion(config, members);
  }

  // ---- status --------------------------------------------------------------------------------

  static Optional<Document> primary(Document status) {
    return status.getList("members", Document.class).stream()
        .filter(m -> m.get("state", Number.class).intValue() == STATE_PRIMARY)
        .filter(m -> m.get("health", Number.class).intValue() == 1)
        .findFirst();
  }

  static Document self(Document status) {
    return status.getList("members", Document.class).stream()
        .filter(m -> Boolean.TRUE.equals(m.getBoolean("self")))
        .findFirst()
        .orElseThrow(() -> EngineException.failure("mongodb: replSetGetStatus lists no self"));
  }

  /** {@code optime.ts} of a member of {@code replSetGetStatus}. */
  static BsonTimestamp optime(Document member) {
    Object optime = member.get("optime");
    if (optime instanceof Document d && d.get("ts") instanceof BsonTimestamp ts) {
      return ts;
    }
    return new BsonTimestamp(0, 0);
  }

  static ReplicationStatus status(Document status, boolean fenced) {
    Document self = self(status);
    BsonTimestamp mine = optime(self);
    String position = mine.getTime() + ":" + mine.getInc();
    int state = status.get("myState", Number.class).intValue();
    if (state == STATE_PRIMARY) {
      return new ReplicationStatus(
          ReplicationStatus.PRIMARY, null, false, null, position, mine.getTime());
    }
    if (fenced) {
      return new ReplicationStatus(
          ReplicationStatus.FENCED, null, false, null, position, mine.getTime());
    }
    Optional<Document> primary = primary(status);
    String source = primary.map(p -> host(p.getString("name"))).orElse(null);
    boolean connected = state == STATE_SECONDARY && primary.isPresent();
    Double lag = null;
    if (connected) {
      Date theirs = primary.get().getDate("optimeDate");
      Date ours = self.getDate("optimeDate");
      lag =
          theirs != null && ours != null
              ? Math.max(0, (theirs.getTime() - ours.getTime()) / 1000.0)
              : Math.max(0, optime(primary.get()).getTime() - mine.getTime());
    }
    return new ReplicationStatus(
        ReplicationStatus.REPLICA, source, connected, lag, position, mine.getTime());
  }

  /** The address of a {@code host:port} member name. */
  static String host(String member) {
    int colon = member.lastIndexOf(':');
    return colon < 0 ? member : member.substring(0, colon);
  }
}

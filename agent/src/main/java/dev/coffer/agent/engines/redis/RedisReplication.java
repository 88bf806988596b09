package dev.coffer.agent.engines.redis;

import static dev.coffer.agent.engines.redis.RedisEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.redis.RedisEngineFactory.REPLICATION_USER;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Redis replication: {@code REPLICAOF} with PSYNC2, which keeps one replication id and offset
 * across a switchover, so a demoted primary and the other replicas resume with a partial resync.
 *
 * <p><b>Roles and their persistence.</b> The role lives in {@link RedisFiles#replicationConfig()},
 * which {@code redis.conf} includes last, so that a restarted engine comes back in the same role
 * without the agent: a primary's file is empty, a replica's holds {@code replicaof}, {@code
 * masteruser os_repl} and {@code masterauth}, a fenced engine's holds {@code replicaof} {@value
 * #FENCE_HOST} {@value #FENCE_PORT}. The agent writes the file first and then changes the running
 * engine, so a crash in between never leaves a writable engine that was meant to be fenced.
 *
 * <p><b>Fencing.</b> Redis has no read-only primary. A fenced engine is a replica of an address
 * where nothing can listen (port 0 on the loopback: every connection attempt is refused at once):
 * Redis refuses every client's writes ({@code READONLY}, whatever the user's permissions, the
 * agent's own account included), applies nothing from anywhere, keeps its data, replication id and
 * offset (it caches itself as its former master) and keeps feeding the replicas still connected to
 * it, which therefore catch up to exactly its final offset. Repointing it later resumes with a
 * partial resync from a replica promoted in between. The alternatives were worse: removing {@code
 * +@write} from the tenants' ACL leaves root (and any user created meanwhile) able to write, and
 * {@code min-replicas-to-write} still lets the engine expire keys and answers writes with a
 * misleading {@code NOREPLICAS}. The cost: Redis logs a refused connection attempt every second
 * until the engine is repointed.
 *
 * <p><b>Users.</b> Redis does not replicate ACL users. A replica mirrors its source's users itself:
 * {@code os_repl} may run {@code ACL LIST} on the source, and the replica's agent copies every user
 * but the agent's own accounts ({@code default}, {@code os_admin}, {@code os_repl}) when it starts
 * replicating, when it is repointed, before it is promoted and then at most every {@link
 * #MIRROR_EVERY_NANOS} on a heartbeat's {@link #status()}. The copy keeps password hashes, so the
 * tenant's users log in on a replica with their passwords and read (a replica refuses their
 * writes), and a promoted replica already has them. Every member also gets {@code os_repl} itself,
 * with the set's password, so that a promoted replica can serve the others at once.
 *
 * <p><b>Synchronous commits.</b> Redis has none; {@link ReplicaSetup#synchronous()} is ignored.
 * Writes a primary acknowledged may be lost when it fails; a planned switchover (fence, wait for
 * equal offsets, promote) loses none.
 *
 * <p><b>Progress.</b> {@code master_repl_offset}: it grows with every byte of the replication
 * stream and PSYNC2 carries it on across a promotion. With the append-only file on, Redis 7.0 does
 * not restore the offset when it restarts: a restarted primary starts again from 0 with a new
 * replication id, and its replicas follow it with a full sync.
 */
final class RedisReplication {
  private static final Logger log = LoggerFactory.getLogger(RedisReplication.class);

  /** The fence: nothing listens on port 0, and Redis accepts it as a master's port. */
  static final String FENCE_HOST = "127.0.0.1";

  static final int FENCE_PORT = 0;

  /** What a replica needs from its source: replicate, and read the users it mirrors. */
  static final List<String> REPLICATION_PERMISSIONS =
      List.of("+psync", "+replconf", "+ping", "+acl|list");

  /** Accounts each member keeps for itself: never mirrored, never deleted by the mirror. */
  private static final Set<String> OWN_ACCOUNTS = Set.of("default", ADMIN_USER, REPLICATION_USER);

  private static final long MIRROR_EVERY_NANOS = 5_000_000_000L;
  private static final int STATUS_TIMEOUT_MILLIS = 2_000;
  private static final int SOURCE_TIMEOUT_MILLIS = 1_000;
  private static final String ROLE_HEADER = "# role ";

  /** What the role file says. */
  record Role(String role, String host, int port, Optional<String> password) {
    static final Role PRIMARY = new Role(ReplicationStatus.PRIMARY, null, 0, Optional.empty());
    static final Role FENCED =
        new Role(ReplicationStatus.FENCED, FENCE_HOST, FENCE_PORT, Optional.empty());

    @Override
    public String toString() {
      return "Role[" + role + " " + host + ":" + port + "]";
    }
  }

  private final RedisFiles files;
  private final Function<Integer, Jedis> admin;
  private final Runnable fixOwnership;
  private volatile long lastMirrorNanos = System.nanoTime() - MIRROR_EVERY_NANOS;

  /**
   * @param admin an admin connection with the given timeout in milliseconds
   * @param fixOwnership gives the data directory (and so the role file) back to the engine's user
   */
  RedisReplication(RedisFiles files, Function<Integer, Jedis> admin, Runnable fixOwnership) {
    this.files = files;
    this.admin = admin;
    this.fixOwnership = fixOwnership;
  }

  // ---- the source side ----------------------------------------------------------------------

  /** Creates (or re-keys) {@code os_repl}; Redis needs nothing per replica. */
  Map<String, String> prepareSource(ReplicationCredentials credentials) {
    withAdmin(
        jedis -> {
          ensureReplicationUser(jedis, credentials);
          return null;
        },
        credentials.password());
    return Map.of();
  }

  // ---- roles --------------------------------------------------------------------------------

  /** Writes a primary's (empty) role file if there is none yet, for {@code include} to find. */
  void initialize() {
    if (!Files.exists(files.replicationConfig())) {
      persist(Role.PRIMARY);
    }
  }

  /** With the engine stopped: its next start follows the setup's source. */
  void configureReplica(ReplicaSetup setup) {
    persist(replicaOf(setup));
  }

  /** Follows the setup's source: used to start a new replica, to repoint, to demote. */
  void follow(ReplicaSetup setup) {
    ReplicationCredentials credentials = setup.credentials();
    withAdmin(
        jedis -> {
          ensureReplicationUser(jedis, credentials);
          persist(replicaOf(setup));
          jedis.configSet("masteruser", credentials.user());
          jedis.configSet("masterauth", credentials.password());
          Map<String, String> info = info(jedis);
          if (!isReplicaOf(info, setup.sourceHost(), setup.sourcePort())) {
            jedis.replicaof(setup.sourceHost(), setup.sourcePort());
            log.info("redis follows source={}:{}", setup.sourceHost(), setup.sourcePort());
          }
          return null;
        },
        credentials.password());
    mirrorUsersQuietly("follow");
  }

  void promote() {
    Role role = readRole();
    if (ReplicationStatus.REPLICA.equals(role.role())) {
      // A planned switchover still reaches the old primary: take its latest users along.
      mirrorUsersQuietly("promote");
    }
    persist(Role.PRIMARY);
    withAdmin(
        jedis -> {
          if (!"master".equals(info(jedis).get("role"))) {
            jedis.replicaofNoOne();
            log.info("redis promoted to primary");
          }
          return null;
        });
  }

  void fence() {
    persist(Role.FENCED);
    withAdmin(
        jedis -> {
          if (!isReplicaOf(info(jedis), FENCE_HOST, FENCE_PORT)) {
            jedis.replicaof(FENCE_HOST, FENCE_PORT);
            log.info("redis fenced: refuses writes and follows nobody");
          }
          return null;
        });
  }

  /** Cheap: one {@code INFO replication}; on a replica, now and then a mirror of the users. */
  ReplicationStatus status() {
    Map<String, String> info =
        withAdmin(RedisReplication::info, STATUS_TIMEOUT_MILLIS, new String[0]);
    ReplicationStatus status = status(info);
    if (ReplicationStatus.REPLICA.equals(status.role())
        && status.connected()
        && System.nanoTime() - lastMirrorNanos >= MIRROR_EVERY_NANOS) {
      mirrorUsersQuietly("heartbeat");
    }
    return status;
  }

  static ReplicationStatus status(Map<String, String> info) {
    long offset = parseLong(info.get("master_repl_offset"), 0);
    String position = info.getOrDefault("master_replid", "?") + ":" + offset;
    if ("master".equals(info.get("role"))) {
      return new ReplicationStatus(ReplicationStatus.PRIMARY, null, false, null, position, offset);
    }
    String host = info.get("master_host");
    int port = (int) parseLong(info.get("master_port"), -1);
    if (FENCE_HOST.equals(host) && port == FENCE_PORT) {
      return new ReplicationStatus(ReplicationStatus.FENCED, null, false, null, position, offset);
    }
    boolean connected = "up".equals(info.get("master_link_status"));
    Double lag = null;
    if (connected) {
      boolean pending =
          "1".equals(info.get("master_sync_in_progress"))
              || parseLong(info.get("slave_read_repl_offset"), 0)
                  > parseLong(info.get("slave_repl_offset"), 0);
      lag =
          pending ? (double) Math.max(0, parseLong(info.get("master_last_io_seconds_ago"), 0)) : 0;
    }
    return new ReplicationStatus(ReplicationStatus.REPLICA, host, connected, lag, position, offset);
  }

  // ---- users --------------------------------------------------------------------------------

  /**
   * Makes this engine's users (but its own accounts) those of its source, password hashes and
   * permissions included. Only differences are applied, then saved to the ACL file.
   */
  void mirrorUsers() {
    Role role = readRole();
    if (!ReplicationStatus.REPLICA.equals(role.role()) || role.password().isEmpty()) {
      return;
    }
    Map<String, List<String>> wanted;
    try (Jedis source = sourceConnection(role)) {
      wanted = users(source.aclList());
    } catch (JedisException e) {
      throw EngineException.failure(
          "redis: cannot read the users of the source " + role.host() + ": " + e.getMessage());
    }
    lastMirrorNanos = System.nanoTime();
    withAdmin(
        jedis -> {
          Map<String, List<String>> present = users(jedis.aclList());
          if (present.equals(wanted)) {
            return null;
          }
          for (Map.Entry<String, List<String>> user : wanted.entrySet()) {
            if (!user.getValue().equals(present.get(user.getKey()))) {
              List<String> rules = new ArrayList<>(List.of("reset"));
              rules.addAll(user.getValue());
              jedis.aclSetUser(user.getKey(), rules.toArray(String[]::new));
            }
          }
          for (String name : present.keySet()) {
            if (!wanted.containsKey(name)) {
              jedis.aclDelUser(name);
            }
          }
          jedis.aclSave();
          log.info("redis users mirrored from source={} users={}", role.host(), wanted.size());
          return null;
        });
  }

  private void mirrorUsersQuietly(String why) {
    try {
      mirrorUsers();
    } catch (RuntimeException e) {
      // The next heartbeat tries again; the replication itself does not depend on it.
      lastMirrorNanos = System.nanoTime();
      log.warn("redis users not mirrored on {}: {}", why, e.getMessage());
    }
  }

  /** {@code ACL LIST} lines by user name, without this member's own accounts. */
  private static Map<String, List<String>> users(List<String> aclList) {
    Map<String, List<String>> users = new LinkedHashMap<>();
    for (String line : aclList) {
      List<String> tokens = Arrays.asList(line.strip().split(" +"));
      if (tokens.size() < 2 || !"user".equals(tokens.get(0))) {
        continue;
      }
      String name = tokens.get(1);
      if (OWN_ACCOUNTS.contains(name)
          || RedisEngineFactory.USER_NAMES.violation(name).isPresent()) {
        continue;
      }
      users.put(name, List.copyOf(tokens.subList(2, tokens.size())));
    }
    return users;
  }

  /**
   * {@code os_repl} with the set's password and only what replication needs. Left alone when it
   * already has that password, so that replicas logged in with it stay connected.
   */
  private static void ensureReplicationUser(Jedis jedis, ReplicationCredentials credentials) {
    if (!REPLICATION_USER.equals(credentials.user())) {
      throw EngineException.badRequest(
          "The replication account of redis is " + REPLICATION_USER + ".");
    }
    if (credentials.password() == null || credentials.password().isEmpty()) {
      throw EngineException.badRequest("The replication account needs a password.");
    }
    String hash = "#" + RedisFiles.sha256Hex(credentials.password());
    List<String> current =
        jedis.aclList().stream()
            .map(line -> Arrays.asList(line.strip().split(" +")))
            .filter(t -> t.size() > 1 && REPLICATION_USER.equals(t.get(1)))
            .findFirst()
            .orElse(List.of());
    boolean upToDate =
        current.contains("on")
            && current.contains(hash)
            && current.stream().filter(t -> t.startsWith("#")).count() == 1
            && current.containsAll(REPLICATION_PERMISSIONS);
    if (upToDate) {
      return;
    }
    List<String> rules = new ArrayList<>(List.of("reset", "on", hash));
    rules.addAll(REPLICATION_PERMISSIONS);
    jedis.aclSetUser(REPLICATION_USER, rules.toArray(String[]::new));
    jedis.aclSave();
    log.info("redis replication account ready user={}", REPLICATION_USER);
  }

  // ---- the role file ------------------------------------------------------------------------

  private static Role replicaOf(ReplicaSetup setup) {
    return new Role(
        ReplicationStatus.REPLICA,
        setup.sourceHost(),
        setup.sourcePort(),
        Optional.of(setup.credentials().password()));
  }

  private void persist(Role role) {
    List<String> lines = new ArrayList<>();
    lines.add("# Written by the Coffer agent: this instance's replication role.");
    lines.add(ROLE_HEADER + role.role());
    if (role.host() != null) {
      lines.add("replicaof " + role.host() + " " + role.port());
    }
    role.password()
        .ifPresent(
            password -> {
              lines.add("masteruser " + REPLICATION_USER);
              lines.add("masterauth " + quoted(password));
            });
    lines.add("");
    files.writeReplicationConfig(String.join("\n", lines));
    fixOwnership.run();
  }

  Role readRole() {
    List<String> lines;
    try {
      lines = Files.readAllLines(files.replicationConfig(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return Role.PRIMARY; // never written: an instance from before replication existed
    }
    String role = ReplicationStatus.PRIMARY;
    String host = null;
    int port = 0;
    Optional<String> password = Optional.empty();
    for (String line : lines) {
      if (line.startsWith(ROLE_HEADER)) {
        role = line.substring(ROLE_HEADER.length()).strip();
      } else if (line.startsWith("replicaof ")) {
        String[] parts = line.split(" ");
        host = parts[1];
        port = Integer.parseInt(parts[2]);
      } else if (line.startsWith("masterauth ")) {
        password = Optional.of(unquoted(line.substring("masterauth ".length())));
      }
    }
    return new Role(role, host, port, password);
  }

  /** Every byte as {@code \xHH} in double quotes: Redis' config parser reads any password back. */
  static String quoted(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      out.append(String.format("\\x%02x", b & 0xff));
    }
    return out.append('"').toString();
  }

  static String unquoted(String quoted) {
    String hex = quoted.strip();
    hex = hex.substring(1, hex.length() - 1).replace("\\x", "");
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static boolean isReplicaOf(Map<String, String> info, String host, int port) {
    return "slave".equals(info.get("role"))
        && host.equals(info.get("master_host"))
        && String.valueOf(port).equals(info.get("master_port"));
  }

  static Map<String, String> info(Jedis jedis) {
    Map<String, String> info = new HashMap<>();
    for (String line : jedis.info("replication").split("\\r?\\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        info.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return info;
  }

  private static long parseLong(String value, long otherwise) {
    try {
      return value == null ? otherwise : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  private Jedis sourceConnection(Role role) {
    return new Jedis(
        role.host(),
        role.port(),
        DefaultJedisClientConfig.builder()
            .user(REPLICATION_USER)
            .password(role.password().orElseThrow())
            .timeoutMillis(SOURCE_TIMEOUT_MILLIS)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  private <T> T withAdmin(Function<Jedis, T> action, String... secrets) {
    return withAdmin(action, 5_000, secrets);
  }

  /** Redis errors become engine failures that never repeat a secret. */
  private <T> T withAdmin(Function<Jedis, T> action, int timeoutMillis, String[] secrets) {
    try (Jedis jedis = admin.apply(timeoutMillis)) {
      return action.apply(jedis);
    } catch (JedisException e) {
      String message = String.valueOf(e.getMessage());
      for (String secret : secrets) {
        message = message.replace(secret, "***");
      }
      throw EngineException.failure("redis: " + message);
    }
  }
}

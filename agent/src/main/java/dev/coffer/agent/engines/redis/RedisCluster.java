package dev.coffer.agent.engines.redis;

import static dev.coffer.agent.engines.redis.RedisEngineFactory.ADMIN_USER;
import static dev.coffer.agent.engines.redis.RedisEngineFactory.CLUSTER_USER;
import static dev.coffer.agent.engines.redis.RedisEngineFactory.REPLICATION_USER;

import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.MigrateParams;

/**
 * Redis Cluster: the 16384 hash slots spread evenly over the masters, optional replicas per master.
 *
 * <p><b>Configuration.</b> {@link RedisFiles#clusterConfig()} turns cluster mode on, keeps Redis'
 * own node table in {@link RedisFiles#nodesFile()}, and announces the member's own loopback
 * address; the cluster bus listens on that address at the client port + 10000 (Redis' default).
 *
 * <p><b>The members' account.</b> Each member's agent knows only its own engine's admin password,
 * so the work across members (meet, slot moves with {@code MIGRATE}, replication of a replica) runs
 * as {@value RedisEngineFactory#CLUSTER_USER}, an ACL user with the cluster's shared secret that
 * {@link #configure} writes into every member's ACL file while the engine is stopped.
 *
 * <p><b>Users.</b> ACL users are per node and Redis does not copy them: the control plane sends
 * user calls to every member, and {@link #membersAdded} copies the existing members' users (with
 * their password hashes) to the new ones before they serve slots.
 *
 * <p>Every step looks at the cluster as it is before acting, so a re-sent command finishes the work
 * of an interrupted one: slots already assigned or moved are left alone.
 */
final class RedisCluster {
  private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);

  static final int SLOTS = 16384;
  static final String REPLICAS_PER_MASTER = "replicas_per_master";
  static final int MIN_MASTERS = 3;

  private static final int TIMEOUT_MILLIS = 5_000;
  private static final int MIGRATE_TIMEOUT_MILLIS = 10_000;
  private static final int KEYS_PER_MIGRATE = 500;
  private static final int SLOTS_PER_BATCH = 512;
  private static final Duration CONVERGE = Duration.ofSeconds(90);
  private static final int NODE_TIMEOUT_MILLIS = 5_000;

  /** Accounts that are the members' own; never copied to a new member. */
  private static final Set<String> OWN_ACCOUNTS =
      Set.of("default", ADMIN_USER, REPLICATION_USER, CLUSTER_USER);

  private final RedisFiles files;
  private final String address;
  private final int port;
  private final Supplier<Jedis> admin;
  private final Runnable fixOwnership;
  private final Path membersFile;

  /**
   * @param admin a connection to this member as the agent's admin user
   * @param fixOwnership gives the data directory back to the engine's user
   * @param membersFile where the agent keeps the members it was last told of (ids and addresses, no
   *     secret), to name them in {@link #status()}
   */
  RedisCluster(
      RedisFiles files,
      String address,
      int port,
      Supplier<Jedis> admin,
      Runnable fixOwnership,
      Path membersFile) {
    this.files = files;
    this.address = address;
    this.port = port;
    this.admin = admin;
    this.fixOwnership = fixOwnership;
    this.membersFile = membersFile;
  }

  private void remember(ClusterSetup setup) {
    StringBuilder text = new StringBuilder();
    for (ClusterMember m : setup.members()) {
      text.append(m.instanceId()).append(' ').append(m.address()).append(':').append(m.port());
      text.append('\n');
    }
    try {
      Files.createDirectories(membersFile.getParent());
      Files.writeString(membersFile, text.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + membersFile + ": " + e.getMessage(), e);
    }
  }

  /** Instance ids by {@code address:port}, as last told. */
  private Map<String, String> remembered() {
    Map<String, String> byEndpoint = new HashMap<>();
    try {
      if (Files.exists(membersFile)) {
        for (String line : Files.readAllLines(membersFile, StandardCharsets.UTF_8)) {
          String[] f = line.split(" ");
          if (f.length == 2) {
            byEndpoint.put(f[1], f[0]);
          }
        }
      }
    } catch (IOException e) {
      log.warn("cannot read {}: {}", membersFile, e.getMessage());
    }
    return byEndpoint;
  }

  /** {@code redis.conf} includes the cluster file: an instance outside a cluster has it empty. */
  void initialize() {
    if (!Files.exists(files.clusterConfig())) {
      files.writeClusterConfig("");
    }
  }

  // ---- configuration, with the engine stopped ----------------------------------------------

  void configure(ClusterSetup setup) {
    replicasPerMaster(setup); // refuse a bad option before anything is written
    files.writeClusterConfig(clusterConfigText(setup));
    files.writeAcl(withClusterUser(readAcl(), setup.secret()));
    fixOwnership.run();
    remember(setup);
    log.info("redis cluster configured cluster={} members={}", setup.clusterId(), size(setup));
  }

  String clusterConfigText(ClusterSetup setup) {
    return String.join(
        "\n",
        List.of(
            "# Written by the Coffer agent for cluster " + setup.clusterId() + ".",
            "cluster-enabled yes",
            "cluster-config-file " + files.nodesFile(),
            "cluster-node-timeout " + NODE_TIMEOUT_MILLIS,
            "cluster-announce-ip " + address,
            // A master that gave away its last slot (a leaving member) stays an empty master
            // rather than turning itself into a replica while its slots are still being moved.
            "cluster-allow-replica-migration no",
            // A replica of the cluster authenticates to its master with the members' account.
            "masteruser " + CLUSTER_USER,
            "masterauth " + RedisReplication.quoted(setup.secret()),
            ""));
  }

  /** The ACL file with the members' account set to {@code secret} (its hash), other users kept. */
  static String withClusterUser(String acl, String secret) {
    StringBuilder out = new StringBuilder();
    for (String line : acl.split("\n")) {
      if (line.isBlank() || line.startsWith("user " + CLUSTER_USER + " ")) {
        continue;
      }
      out.append(line).append('\n');
    }
    out.append("user ")
        .append(CLUSTER_USER)
        .append(" on #")
        .append(RedisFiles.sha256Hex(secret))
        .append(" ~* &* +@all\n");
    return out.toString();
  }

  private String readAcl() {
    try {
      return Files.readString(files.aclFile(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + files.aclFile() + ": " + e.getMessage(), e);
    }
  }

  // ---- forming, growing, shrinking ----------------------------------------------------------

  /** Meets every member, spreads the slots over the masters, attaches replicas, waits for ok. */
  void form(ClusterSetup setup) {
    int replicas = replicasPerMaster(setup);
    List<ClusterMember> members = setup.members();
    int masters = (members.size() + replicas) / (replicas + 1);
    if (masters < MIN_MASTERS) {
      throw EngineException.badRequest(
          "A Redis cluster needs at least "
              + MIN_MASTERS
              + " masters: with "
              + REPLICAS_PER_MASTER
              + "="
              + replicas
              + " it needs at least "
              + MIN_MASTERS * (replicas + 1)
              + " instances.");
    }
    remember(setup);
    withMembers(
        setup,
        nodes -> {
          meetAll(setup, nodes);
          Map<String, String> ids = nodeIds(members, nodes);
          Map<String, Node> table = table(nodes.get(setup.self()));
          for (int i = 0; i < masters; i++) {
            ClusterMember master = members.get(i);
            int from = (int) ((long) SLOTS * i / masters);
            int to = (int) ((long) SLOTS * (i + 1) / masters) - 1;
            boolean unassigned = table.values().stream().noneMatch(n -> n.slots().contains(from));
            if (unassigned) {
              nodes.get(master.instanceId()).clusterAddSlotsRange(from, to);
            }
          }
          for (int i = masters; i < members.size(); i++) {
            ClusterMember master = members.get((i - masters) % masters);
            follow(nodes, members.get(i), ids.get(master.instanceId()), setup);
          }
          awaitHealthy(setup, nodes);
          return null;
        });
    log.info(
        "redis cluster formed cluster={} masters={} members={}",
        setup.clusterId(),
        masters,
        members.size());
  }

  /** Meets the new members, copies the users to them, then gives new masters their share. */
  void membersAdded(ClusterSetup setup, List<String> added) {
    int replicas = replicasPerMaster(setup);
    remember(setup);
    withMembers(
        setup,
        nodes -> {
          meetAll(setup, nodes);
          Map<String, String> ids = nodeIds(setup.members(), nodes);
          copyUsers(nodes.get(setup.self()), added.stream().map(nodes::get).toList());
          for (String instanceId : added) {
            Map<String, Node> table = table(nodes.get(setup.self()));
            Node node = table.get(ids.get(instanceId));
            if (replicas == 0 || !node.isMaster() || !node.slots().isEmpty()) {
              continue;
            }
            // A new member first fills masters that lack replicas; else it becomes a master.
            Optional<Node> lacking =
                table.values().stream()
                    .filter(n -> n.isMaster() && !n.slots().isEmpty())
                    .filter(
                        m ->
                            table.values().stream().filter(r -> m.id().equals(r.master())).count()
                                < replicas)
                    .findFirst();
            if (lacking.isPresent()) {
              ClusterMember member = memberOf(setup, instanceId);
              follow(nodes, member, lacking.get().id(), setup);
            }
          }
          // A new member refuses imported keys until it sees every slot served.
          awaitHealthy(setup, nodes);
          rebalance(setup, nodes, Optional.empty());
          awaitHealthy(setup, nodes);
          return null;
        });
    log.info("redis cluster grown cluster={} added={}", setup.clusterId(), added.size());
  }

  /**
   * On the leaving member: moves every slot it serves to the remaining masters (fewest first).
   * {@code setup} is the cluster without this member.
   */
  void leave(ClusterSetup setup) {
    List<ClusterMember> all = new ArrayList<>(setup.members());
    if (all.stream().noneMatch(m -> m.instanceId().equals(setup.self()))) {
      all.add(new ClusterMember(setup.self(), address, port));
    }
    ClusterSetup including =
        new ClusterSetup(
            setup.clusterId(), all, setup.self(), false, setup.options(), setup.secret());
    withMembers(
        including,
        nodes -> {
          awaitHealthy(including, nodes);
          rebalance(including, nodes, Optional.of(setup.self()));
          return null;
        });
    log.info("redis cluster member left cluster={} member={}", setup.clusterId(), setup.self());
  }

  /** On every remaining member: forgets each node that is not one of {@code setup}'s members. */
  void membersRemoved(ClusterSetup setup, List<String> removed) {
    remember(setup);
    withMembers(
        setup,
        nodes -> {
          Set<String> keep = new java.util.HashSet<>(nodeIds(setup.members(), nodes).values());
          for (Jedis member : nodes.values()) {
            String myId = member.clusterMyId();
            String myMaster = table(member).get(myId).master();
            for (Node node : table(member).values()) {
              if (keep.contains(node.id())
                  || node.id().equals(myId)
                  || node.id().equals(myMaster)) {
                continue;
              }
              try {
                member.clusterForget(node.id());
              } catch (JedisException e) {
                log.warn("redis cluster forget failed node={} error={}", node.id(), e.getMessage());
              }
            }
          }
          awaitHealthy(setup, nodes);
          return null;
        });
    log.info("redis cluster members forgotten cluster={} removed={}", setup.clusterId(), removed);
  }

  /** This member's view: {@code cluster_state:ok}, the nodes it sees connected, slots by node. */
  ClusterStatus status() {
    try (Jedis jedis = admin.get()) {
      Map<String, String> info = info(jedis.clusterInfo());
      Map<String, Node> table = table(jedis);
      Map<String, String> names = remembered();
      List<String> up = new ArrayList<>();
      Map<String, String> details = new TreeMap<>();
      details.put("cluster_state", info.getOrDefault("cluster_state", "unknown"));
      details.put("known_nodes", info.getOrDefault("cluster_known_nodes", "0"));
      for (Node node : table.values()) {
        String name = names.getOrDefault(node.hostPort(), node.hostPort());
        boolean myself = node.flags().contains("myself");
        if (myself || (node.connected() && !node.flags().contains("fail"))) {
          up.add(name);
        }
        details.put(
            "node " + name,
            (node.isMaster()
                ? "master slots=" + node.slots().size()
                : "replica of " + node.master()));
      }
      return new ClusterStatus("ok".equals(info.get("cluster_state")), up, details);
    } catch (JedisException e) {
      throw EngineException.failure("redis: " + e.getMessage());
    }
  }

  // ---- steps --------------------------------------------------------------------------------

  private void meetAll(ClusterSetup setup, Map<String, Jedis> nodes) {
    Jedis self = nodes.get(setup.self());
    Set<String> known = new java.util.HashSet<>();
    table(self).values().forEach(n -> known.add(n.hostPort()));
    for (ClusterMember member : setup.members()) {
      if (!known.contains(member.address() + ":" + member.port())) {
        self.clusterMeet(member.address(), member.port());
      }
    }
    awaitKnown(setup, nodes);
  }

  /** Until every member knows every other (handshakes done). */
  private void awaitKnown(ClusterSetup setup, Map<String, Jedis> nodes) {
    await(
        "every member knows the others",
        () -> {
          for (Jedis jedis : nodes.values()) {
            long known =
                table(jedis).values().stream()
                    .filter(n -> !n.flags().contains("handshake"))
                    .count();
            if (known < setup.members().size()) {
              return false;
            }
          }
          return true;
        });
  }

  private void follow(
      Map<String, Jedis> nodes, ClusterMember replica, String masterId, ClusterSetup setup) {
    Jedis jedis = nodes.get(replica.instanceId());
    await(
        "the replica " + replica.instanceId() + " knows its master",
        () -> table(jedis).containsKey(masterId));
    Node self = table(jedis).get(jedis.clusterMyId());
    if (!masterId.equals(self.master())) {
      jedis.clusterReplicate(masterId);
      log.info(
          "redis cluster replica cluster={} replica={} master={}",
          setup.clusterId(),
          replica.instanceId(),
          masterId);
    }
  }

  /**
   * Moves slots so that every master of {@code setup} (but {@code leaving}) serves its share;
   * {@code leaving} gives away all of its slots.
   */
  private void rebalance(ClusterSetup setup, Map<String, Jedis> nodes, Optional<String> leaving) {
    Map<String, String> ids = nodeIds(setup.members(), nodes);
    Map<String, String> instanceOf = new HashMap<>();
    ids.forEach((instance, node) -> instanceOf.put(node, instance));
    Map<String, Node> table = table(nodes.get(setup.self()));
    List<Node> masters = new ArrayList<>();
    for (ClusterMember member : setup.members()) {
      Node node = table.get(ids.get(member.instanceId()));
      if (node != null && node.isMaster()) {
        masters.add(node);
      }
    }
    String leavingId = leaving.map(ids::get).orElse(null);
    List<Node> receivers = masters.stream().filter(n -> !n.id().equals(leavingId)).toList();
    if (receivers.isEmpty()) {
      throw EngineException.badRequest("No master would remain to serve the slots.");
    }
    Map<String, Integer> target = new HashMap<>();
    for (int i = 0; i < receivers.size(); i++) {
      target.put(
          receivers.get(i).id(), SLOTS / receivers.size() + (i < SLOTS % receivers.size() ? 1 : 0));
    }
    Map<String, List<Integer>> owned = new LinkedHashMap<>();
    for (Node master : masters) {
      owned.put(master.id(), new ArrayList<>(master.slots()));
    }
    List<Move> moves = new ArrayList<>();
    for (Node donor : masters) {
      int keep = target.getOrDefault(donor.id(), 0);
      List<Integer> slots = owned.get(donor.id());
      while (slots.size() > keep) {
        Node receiver =
            receivers.stream()
                .filter(r -> owned.get(r.id()).size() < target.get(r.id()))
                .min(Comparator.comparingInt(r -> owned.get(r.id()).size()))
                .orElse(null);
        if (receiver == null) {
          break;
        }
        int slot = slots.remove(slots.size() - 1);
        owned.get(receiver.id()).add(slot);
        moves.add(new Move(slot, donor, receiver));
      }
    }
    String secret = setup.secret();
    long started = System.nanoTime();
    // Slots between the same two masters move together, a batch at a time, with pipelined
    // SETSLOTs: Redis saves its node table once per batch rather than once per slot.
    Map<String, List<Integer>> byPair = new LinkedHashMap<>();
    Map<String, Move> pairs = new HashMap<>();
    for (Move move : moves) {
      String pair = move.from().id() + ">" + move.to().id();
      byPair.computeIfAbsent(pair, k -> new ArrayList<>()).add(move.slot());
      pairs.putIfAbsent(pair, move);
    }
    for (Map.Entry<String, List<Integer>> pair : byPair.entrySet()) {
      Move first = pairs.get(pair.getKey());
      Jedis from = nodes.get(instanceOf.get(first.from().id()));
      Jedis to = nodes.get(instanceOf.get(first.to().id()));
      List<Integer> slots = pair.getValue();
      for (int i = 0; i < slots.size(); i += SLOTS_PER_BATCH) {
        moveSlots(
            slots.subList(i, Math.min(slots.size(), i + SLOTS_PER_BATCH)),
            first.from(),
            first.to(),
            from,
            to,
            secret);
      }
    }
    if (!moves.isEmpty()) {
      log.info(
          "redis cluster slots moved cluster={} slots={} ms={}",
          setup.clusterId(),
          moves.size(),
          (System.nanoTime() - started) / 1_000_000);
    }
    // Other members learn the new owners by gossip: done once every member agrees.
    Map<String, Integer> expected = new HashMap<>();
    owned.forEach((id, slots) -> expected.put(id, slots.size()));
    await(
        "every member sees the new slot owners",
        () -> {
          for (Jedis jedis : nodes.values()) {
            Map<String, Node> view = table(jedis);
            for (Map.Entry<String, Integer> e : expected.entrySet()) {
              Node node = view.get(e.getKey());
              if (node == null || node.slots().size() != e.getValue()) {
                return false;
              }
            }
          }
          return true;
        });
    log.info(
        "redis cluster slot owners agreed cluster={} ms={}",
        setup.clusterId(),
        (System.nanoTime() - started) / 1_000_000);
  }

  private record Move(int slot, Node from, Node to) {}

  /**
   * Redis' documented slot migration for a batch of slots: importing on the target, migrating on
   * the source, the keys in batches with {@code MIGRATE}, then the new owner on both.
   */
  private static void moveSlots(
      List<Integer> slots, Node fromNode, Node toNode, Jedis from, Jedis to, String secret) {
    setSlots(to, slots, "IMPORTING", fromNode.id());
    setSlots(from, slots, "MIGRATING", toNode.id());
    MigrateParams params = MigrateParams.migrateParams().replace().auth2(CLUSTER_USER, secret);
    List<Integer> pending = new ArrayList<>(slots);
    while (!pending.isEmpty()) {
      List<Response<Object>> answers = new ArrayList<>();
      try (Pipeline pipeline = from.pipelined()) {
        for (int slot : pending) {
          answers.add(
              pipeline.sendCommand(
                  Protocol.Command.CLUSTER,
                  "GETKEYSINSLOT",
                  Integer.toString(slot),
                  Integer.toString(KEYS_PER_MIGRATE)));
        }
      }
      List<Integer> again = new ArrayList<>();
      for (int i = 0; i < pending.size(); i++) {
        List<?> keys = (List<?>) answers.get(i).get();
        if (keys.isEmpty()) {
          continue;
        }
        from.migrate(
            toNode.host(),
            toNode.port(),
            0,
            MIGRATE_TIMEOUT_MILLIS,
            params,
            keys.stream().map(k -> (byte[]) k).toArray(byte[][]::new));
        again.add(pending.get(i));
      }
      pending = again;
    }
    setSlots(to, slots, "NODE", toNode.id());
    setSlots(from, slots, "NODE", toNode.id());
  }

  private static void setSlots(Jedis jedis, List<Integer> slots, String how, String nodeId) {
    List<Response<Object>> answers = new ArrayList<>();
    try (Pipeline pipeline = jedis.pipelined()) {
      for (int slot : slots) {
        answers.add(
            pipeline.sendCommand(
                Protocol.Command.CLUSTER, "SETSLOT", Integer.toString(slot), how, nodeId));
      }
    }
    answers.forEach(Response::get); // a refused SETSLOT throws here
  }

  /** Copies every tenant user (password hashes and rules) from {@code source} to the others. */
  private static void copyUsers(Jedis source, List<Jedis> targets) {
    Map<String, List<String>> users = new LinkedHashMap<>();
    for (String line : source.aclList()) {
      List<String> tokens = Arrays.asList(line.strip().split(" +"));
      if (tokens.size() < 2 || !"user".equals(tokens.get(0))) {
        continue;
      }
      if (OWN_ACCOUNTS.contains(tokens.get(1))) {
        continue;
      }
      users.put(tokens.get(1), tokens.subList(2, tokens.size()));
    }
    for (Jedis target : targets) {
      for (Map.Entry<String, List<String>> user : users.entrySet()) {
        List<String> rules = new ArrayList<>(List.of("reset"));
        rules.addAll(user.getValue());
        target.aclSetUser(user.getKey(), rules.toArray(String[]::new));
      }
      target.aclSave();
    }
  }

  private void awaitHealthy(ClusterSetup setup, Map<String, Jedis> nodes) {
    await(
        "cluster_state:ok on every member",
        () -> {
          for (Jedis jedis : nodes.values()) {
            Map<String, String> info = info(jedis.clusterInfo());
            if (!"ok".equals(info.get("cluster_state"))
                || !Integer.toString(SLOTS).equals(info.get("cluster_slots_ok"))
                || !Integer.toString(setup.members().size())
                    .equals(info.get("cluster_known_nodes"))) {
              return false;
            }
          }
          return true;
        });
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** Redis node ids of the members, found by asking each member itself. */
  private static Map<String, String> nodeIds(
      List<ClusterMember> members, Map<String, Jedis> nodes) {
    Map<String, String> ids = new LinkedHashMap<>();
    for (ClusterMember member : members) {
      ids.put(member.instanceId(), nodes.get(member.instanceId()).clusterMyId());
    }
    return ids;
  }

  private static ClusterMember memberOf(ClusterSetup setup, String instanceId) {
    return setup.members().stream()
        .filter(m -> m.instanceId().equals(instanceId))
        .findFirst()
        .orElseThrow(() -> EngineException.badRequest("Unknown member " + instanceId + "."));
  }

  /**
   * Opens a connection as the members' account to every member (this one included), runs {@code
   * work}, closes them. Redis errors never carry the secret out.
   */
  private <T> T withMembers(ClusterSetup setup, Function<Map<String, Jedis>, T> work) {
    Map<String, Jedis> nodes = new LinkedHashMap<>();
    try {
      for (ClusterMember member : setup.members()) {
        nodes.put(member.instanceId(), connect(member.address(), member.port(), setup.secret()));
      }
      if (!nodes.containsKey(setup.self())) {
        nodes.put(setup.self(), connect(address, port, setup.secret()));
      }
      return work.apply(nodes);
    } catch (JedisException e) {
      String message = String.valueOf(e.getMessage()).replace(setup.secret(), "***");
      throw EngineException.failure("redis cluster: " + message);
    } finally {
      nodes.values().forEach(Jedis::close);
    }
  }

  private static Jedis connect(String host, int port, String secret) {
    return new Jedis(
        host,
        port,
        DefaultJedisClientConfig.builder()
            .user(CLUSTER_USER)
            .password(secret)
            .timeoutMillis(TIMEOUT_MILLIS)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  /** One line of {@code CLUSTER NODES}. */
  record Node(
      String id,
      String host,
      int port,
      Set<String> flags,
      String master,
      boolean connected,
      Set<Integer> slots) {
    boolean isMaster() {
      return flags.contains("master");
    }

    String hostPort() {
      return host + ":" + port;
    }
  }

  private static Map<String, Node> table(Jedis jedis) {
    return parseNodes(jedis.clusterNodes());
  }

  /** {@code <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...}. */
  static Map<String, Node> parseNodes(String text) {
    Map<String, Node> nodes = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length < 8) {
        continue;
      }
      String endpoint = f[1].split("@")[0];
      int colon = endpoint.lastIndexOf(':');
      Set<String> flags = Set.of(f[2].split(","));
      Set<Integer> slots = new java.util.TreeSet<>();
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue; // a slot being imported or migrated: still owned by this node
        }
        String[] range = f[i].split("-");
        int from = Integer.parseInt(range[0]);
        int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
        for (int s = from; s <= to; s++) {
          slots.add(s);
        }
      }
      nodes.put(
          f[0],
          new Node(
              f[0],
              endpoint.substring(0, colon),
              Integer.parseInt(endpoint.substring(colon + 1)),
              flags,
              "-".equals(f[3]) ? null : f[3],
              "connected".equals(f[7]),
              slots));
    }
    return nodes;
  }

  private static Map<String, String> info(String text) {
    Map<String, String> info = new HashMap<>();
    for (String line : text.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        info.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return info;
  }

  static int replicasPerMaster(ClusterSetup setup) {
    String value = setup.options().getOrDefault(REPLICAS_PER_MASTER, "0");
    if (!value.matches("[0-5]")) {
      throw EngineException.badRequest(
          "The cluster option " + REPLICAS_PER_MASTER + " must be a number from 0 to 5.");
    }
    return Integer.parseInt(value);
  }

  private static int size(ClusterSetup setup) {
    return setup.members().size();
  }

  private static void await(String what, Supplier<Boolean> done) {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    while (!done.get()) {
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "redis cluster: timed out after " + CONVERGE.toSeconds() + " s waiting until " + what);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting until " + what, e);
      }
    }
  }
}

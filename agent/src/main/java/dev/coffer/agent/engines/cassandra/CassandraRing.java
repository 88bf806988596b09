package dev.coffer.agent.engines.cassandra;

import static dev.coffer.agent.engines.cassandra.CassandraEngineFactory.MAX_REPLICATION_FACTOR;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engines.cassandra.CassandraFiles.ClusterConfig;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Cassandra ring of Coffer instances. Members find each other through seeds (the first three
 * members' addresses) and form the ring as they start, one after the other; the agent then only
 * waits for them to be Up and Normal, keeps {@code system_auth} replicated on up to three nodes,
 * and hands a leaving member's data to the others with {@code nodetool decommission}.
 */
final class CassandraRing {
  private static final Logger log = LoggerFactory.getLogger(CassandraRing.class);

  private static final int MAX_SEEDS = 3;
  private static final Duration JOIN_DEADLINE = Duration.ofMinutes(10);

  /** A {@code nodetool status} line: state, address, ..., host id, rack. */
  private static final Pattern STATUS_LINE =
      Pattern.compile(
          "^([UD][NLJM])\\s+(\\S+)\\s+.*?\\s([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\s+\\S+\\s*$");

  /** One node as {@code nodetool status} shows it. */
  record Node(String state, String address, String hostId) {
    boolean upAndNormal() {
      return state.equals("UN");
    }
  }

  private final EngineContext context;
  private final CassandraFiles files;
  private final Nodetool nodetool;
  private final CassandraBackups.Admin admin;

  CassandraRing(
      EngineContext context,
      CassandraFiles files,
      Nodetool nodetool,
      CassandraBackups.Admin admin) {
    this.context = context;
    this.files = files;
    this.nodetool = nodetool;
    this.admin = admin;
  }

  /**
   * Writes the ring settings for the next start (seeds: the first members' addresses) and makes the
   * cluster's secret the admin password: roles are replicated, so every member logs in as the same
   * {@code os_admin}.
   */
  void configure(ClusterSetup setup) {
    // A node in its own seed list never bootstraps: it would take token ranges without their
    // data (system_auth's roles included). So only the member that starts the ring lists itself;
    // every other member sees the other seeds and streams its ranges when it joins.
    String self = self(setup).address();
    List<String> seeds =
        setup.members().stream()
            .limit(MAX_SEEDS)
            .map(ClusterMember::address)
            .filter(address -> setup.bootstrap() || !address.equals(self))
            .toList();
    if (seeds.isEmpty()) {
      throw EngineException.badRequest("A ring member needs another member to join.");
    }
    files.writeClusterConfig(new ClusterConfig(setup.clusterId(), seeds, !setup.bootstrap()));
    writeMembers(setup);
    if (setup.secret() != null && !setup.secret().isEmpty()) {
      writeSecret(setup.secret());
    }
    log.info(
        "cassandra ring configured instance={} cluster={} seeds={} members={}",
        context.instanceId(),
        setup.clusterId(),
        seeds,
        setup.members().size());
  }

  /** Waits for every member to be Up and Normal, then replicates system_auth on up to three. */
  void form(ClusterSetup setup) {
    writeMembers(setup);
    awaitUpAndNormal(addresses(setup.members()));
    replicateAuth(setup.members().size());
    log.info(
        "cassandra ring formed instance={} cluster={} members={}",
        context.instanceId(),
        setup.clusterId(),
        setup.members().size());
  }

  void membersAdded(ClusterSetup setup, List<String> added) {
    writeMembers(setup);
    List<String> addresses =
        setup.members().stream()
            .filter(m -> added.contains(m.instanceId()))
            .map(ClusterMember::address)
            .toList();
    awaitUpAndNormal(addresses);
    replicateAuth(setup.members().size());
    log.info("cassandra ring grown instance={} added={}", context.instanceId(), added);
  }

  /** Streams this member's ranges to the others; blocks until done. Idempotent. */
  void leave(ClusterSetup setup) {
    String mode = nodetool.run("netstats").lines().findFirst().orElse("");
    if (mode.contains("DECOMMISSIONED")) {
      return;
    }
    // --force: a ring smaller than a keyspace's replication factor is what the operator asked for.
    nodetool.run(JOIN_DEADLINE, "decommission", "--force");
    log.info("cassandra member decommissioned instance={}", context.instanceId());
  }

  /** Removes members that left without a decommission (a dead node) from the ring. */
  void membersRemoved(ClusterSetup setup, List<String> removed) {
    writeMembers(setup);
    Set<String> remaining = Set.copyOf(addresses(setup.members()));
    for (Node node : nodes()) {
      if (!remaining.contains(node.address()) && node.state().startsWith("D")) {
        nodetool.run(JOIN_DEADLINE, "removenode", node.hostId());
        log.info(
            "cassandra dead member removed instance={} address={}",
            context.instanceId(),
            node.address());
      }
    }
    replicateAuth(setup.members().size());
  }

  ClusterStatus status() {
    List<Node> nodes = nodes();
    Map<String, String> byAddress = readMembers();
    List<String> up = new ArrayList<>();
    Map<String, String> details = new LinkedHashMap<>();
    for (Node node : nodes) {
      String id = byAddress.getOrDefault(node.address(), node.address());
      details.put(id, node.state());
      if (node.upAndNormal()) {
        up.add(id);
      }
    }
    details.put("nodes", Integer.toString(nodes.size()));
    boolean healthy = !nodes.isEmpty() && nodes.stream().allMatch(Node::upAndNormal);
    return new ClusterStatus(healthy, up, details);
  }

  List<Node> nodes() {
    List<Node> nodes = new ArrayList<>();
    for (String line : nodetool.run(Duration.ofMinutes(1), "status").split("\n")) {
      Matcher m = STATUS_LINE.matcher(line.strip());
      if (m.matches()) {
        nodes.add(new Node(m.group(1), m.group(2), m.group(3)));
      }
    }
    return nodes;
  }

  private void awaitUpAndNormal(List<String> addresses) {
    long deadline = System.nanoTime() + JOIN_DEADLINE.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        Map<String, String> states =
            nodes().stream().collect(Collectors.toMap(Node::address, Node::state, (a, b) -> a));
        if (addresses.stream().allMatch(a -> "UN".equals(states.get(a)))) {
          return;
        }
        last = states.toString();
      } catch (EngineException e) {
        last = e.getMessage();
      }
      CassandraEngine.pause(Duration.ofSeconds(1));
    }
    throw EngineException.failure(
        "cassandra ring members " + addresses + " are not all up and normal: " + last);
  }

  /** Roles and permissions on as many replicas as the ring allows, up to three; then repaired. */
  private void replicateAuth(int members) {
    int rf = Math.min(MAX_REPLICATION_FACTOR, Math.max(1, members));
    admin.withAdmin(
        s ->
            s.execute(
                "ALTER KEYSPACE system_auth WITH replication = {'class': 'SimpleStrategy',"
                    + " 'replication_factor': "
                    + rf
                    + "}"));
    nodetool.run(JOIN_DEADLINE, "repair", "-full", "system_auth");
  }

  private static List<String> addresses(List<ClusterMember> members) {
    return members.stream().map(ClusterMember::address).toList();
  }

  private ClusterMember self(ClusterSetup setup) {
    return setup.members().stream()
        .filter(m -> m.instanceId().equals(setup.self()))
        .findFirst()
        .orElseThrow(
            () -> EngineException.badRequest("This instance is not a member of the cluster."));
  }

  // ---- files --------------------------------------------------------------------------------

  private Path membersFile() {
    return context.agentDir().resolve("cluster-members.properties");
  }

  /** Which instance each ring address belongs to, for {@link #status}. */
  private void writeMembers(ClusterSetup setup) {
    StringBuilder text =
        new StringBuilder("# ring members (address=instance), written by Coffer\n");
    for (ClusterMember m : setup.members()) {
      text.append(m.address()).append('=').append(m.instanceId()).append('\n');
    }
    CassandraFiles.atomicWrite(membersFile(), text.toString());
  }

  private Map<String, String> readMembers() {
    Map<String, String> members = new TreeMap<>();
    try {
      if (Files.exists(membersFile())) {
        for (String line : Files.readAllLines(membersFile())) {
          int eq = line.indexOf('=');
          if (!line.startsWith("#") && eq > 0) {
            members.put(line.substring(0, eq), line.substring(eq + 1));
          }
        }
      }
    } catch (IOException e) {
      log.warn("cannot read {}: {}", membersFile(), e.getMessage());
    }
    return members;
  }

  private void writeSecret(String secret) {
    Path file = context.agentDir().resolve("admin.secret");
    Path tmp = file.resolveSibling("admin.secret.tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, secret);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write the cluster secret: " + e.getMessage(), e);
    }
  }
}

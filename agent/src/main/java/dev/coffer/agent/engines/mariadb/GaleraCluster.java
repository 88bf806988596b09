package dev.coffer.agent.engines.mariadb;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ClusterStatus;
import dev.coffer.api.agent.UserRef;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Galera side of a MariaDB server that is a member of a cluster: its wsrep settings, whether a
 * start creates the cluster ({@code --wsrep-new-cluster}) or joins it, the wait until the member is
 * synced, and the cluster's status.
 *
 * <p>The member's setup lives in the agent directory ({@value #STATE_FILE}, and the shared secret
 * in {@value #SECRET_FILE}, mode 0600), so every start renders the same settings. Galera and its
 * state transfer listen on every address unless told otherwise: every one of their addresses is set
 * to the member's own ({@link #serverOptions}).
 *
 * <p>New members get their data by a state snapshot transfer with mariadb-backup from a donor; the
 * donor's mariadb-backup logs in as {@value #SST_USER} with the cluster's shared secret. That
 * account, like the agent's own, is created by every member for itself on every start, outside
 * replication, so it works whichever member donates and whatever a donor's snapshot held.
 */
final class GaleraCluster {
  static final String SST_USER = "os_sst";

  /** Role of the Galera library in {@link EngineContext#binaries()}. */
  static final String PROVIDER = "galera";

  static final String STATE_FILE = "galera.properties";
  static final String SECRET_FILE = "galera.secret";

  /** The 0600 option file (owned by the run-as user) that holds {@code wsrep_sst_auth}. */
  static final String SECRET_OPTIONS = "galera-sst.cnf";

  static final int GROUP_PORT = 4567;
  static final int IST_PORT = 4568;
  static final int SST_PORT = 4444;

  private static final Logger LOG = LoggerFactory.getLogger(GaleraCluster.class);
  private static final Duration POLL = Duration.ofMillis(250);
  // InnoDB's crash recovery runs first; large redo logs take a while
  private static final Duration RECOVERY_DEADLINE = Duration.ofMinutes(30);

  /** Opens an admin connection to the local server. */
  @FunctionalInterface
  interface Connector {
    Connection connect(Duration timeout) throws SQLException;
  }

  /** Writes a file only the run-as user can read. */
  @FunctionalInterface
  interface PrivateFileWriter {
    void write(Path file, String content) throws IOException;
  }

  /**
   * What a member keeps of its cluster.
   *
   * @param bootstrapped how many times this member started a cluster on its own
   */
  record State(
      String clusterId,
      String self,
      boolean bootstrap,
      List<ClusterMember> members,
      int bootstrapped) {
    State {
      members = List.copyOf(members);
    }

    Optional<ClusterMember> member(String instanceId) {
      return members.stream().filter(m -> m.instanceId().equals(instanceId)).findFirst();
    }
  }

  private final EngineContext context;
  private final Path defaultsFile;
  private final Connector connector;
  private final PrivateFileWriter privateFiles;
  private final Runnable writeConfig;
  private final BooleanSupplier running;

  GaleraCluster(
      EngineContext context,
      Path defaultsFile,
      Connector connector,
      PrivateFileWriter privateFiles,
      Runnable writeConfig,
      BooleanSupplier running) {
    this.context = context;
    this.defaultsFile = defaultsFile;
    this.connector = connector;
    this.privateFiles = privateFiles;
    this.writeConfig = writeConfig;
    this.running = running;
  }

  /** Whether this server is a member of a cluster (it got a setup). */
  boolean member() {
    return Files.exists(context.agentDir().resolve(STATE_FILE));
  }

  // ---- configuration ---------------------------------------------------------------------

  /** With the server stopped: keeps the setup so that the next start joins (or forms) it. */
  void configure(ClusterSetup setup) {
    if (running.getAsBoolean()) {
      throw EngineException.conflict("The server must be stopped to configure its cluster.");
    }
    if (setup.secret() == null || setup.secret().isEmpty()) {
      throw EngineException.badRequest("A cluster needs a shared secret for its members.");
    }
    if (setup.members().stream().noneMatch(m -> m.instanceId().equals(setup.self()))) {
      throw EngineException.badRequest("The cluster's members do not include " + setup.self());
    }
    provider();
    int bootstrapped = load().map(State::bootstrapped).orElse(0);
    save(
        new State(
            setup.clusterId(), setup.self(), setup.bootstrap(), setup.members(), bootstrapped));
    writeSecret(setup.secret());
    writeConfig.run();
    LOG.info(
        "instance={} event=cluster-configured cluster={} members={} bootstrap={}",
        context.instanceId(),
        setup.clusterId(),
        setup.members().size(),
        setup.bootstrap());
  }

  /**
   * {@code [mysqld]} options of a member, after the server's own replication options (they override
   * {@code server_id}). No secret: {@code my.cnf} is world-readable; see {@link #trailer()}.
   */
  List<String> serverOptions() {
    Optional<State> state = load();
    if (state.isEmpty()) {
      return List.of();
    }
    State s = state.get();
    String address = context.bindAddress();
    List<String> lines = new ArrayList<>();
    lines.add("# Galera cluster " + s.clusterId());
    lines.add("wsrep_on=ON");
    lines.add("wsrep_provider=" + provider());
    lines.add("wsrep_cluster_name=" + clusterName(s.clusterId()));
    lines.add("wsrep_cluster_address=" + clusterAddress(s.members()));
    lines.add("wsrep_node_name=" + context.instanceId());
    lines.add("wsrep_node_address=" + address + ":" + GROUP_PORT);
    lines.add("wsrep_node_incoming_address=" + address + ":" + context.port());
    lines.add(
        "wsrep_provider_options=\"gmcast.listen_addr=tcp://"
            + address
            + ":"
            + GROUP_PORT
            + ";ist.recv_addr="
            + address
            + ":"
            + IST_PORT
            + ";ist.recv_bind="
            + address
            // the write-set cache feeds incremental transfers to members that were away; its
            // default (128 MB, allocated up front) is too much for small flavors
            + ";gcache.size="
            + gcacheMb(context.memoryMb())
            + "M\"");
    lines.add("wsrep_sst_method=mariabackup");
    lines.add("wsrep_sst_receive_address=" + address + ":" + SST_PORT);
    // Galera replicates InnoDB rows only, and needs interleaved auto-increment locks
    lines.add("binlog_format=ROW");
    lines.add("default_storage_engine=InnoDB");
    lines.add("innodb_autoinc_lock_mode=2");
    // The binary log stays on (its archive serves point-in-time recovery): every member logs every
    // cluster write (log_slave_updates) under the same GTIDs, in the cluster's own GTID domain;
    // the same server_id on every member is what makes those GTIDs equal.
    lines.add("server_id=" + positiveId(s.clusterId()));
    lines.add("wsrep_gtid_mode=ON");
    lines.add("wsrep_gtid_domain_id=" + domainId(s.clusterId()));
    // writes that are not replicated (none the agent makes) would get a domain of this member's
    lines.add("gtid_domain_id=" + domainId(context.instanceId()));
    lines.add("log_slave_updates=ON");
    return lines;
  }

  /**
   * Sections after {@code [client]}: the state transfer's own socket options (socat listens on
   * every address unless bound) and the 0600 file with the transfer account's password.
   */
  List<String> trailer() {
    if (!member()) {
      return List.of();
    }
    return List.of(
        "[sst]",
        "sockopt=bind=" + context.bindAddress(),
        // the transfer script's logs stay with the instance's (its default is /tmp)
        "sst-log-archive-dir=" + context.logDir().resolve("sst"),
        "",
        "!include " + secretOptions(),
        "");
  }

  /** Statements of the init file, before the agent's accounts: none of them is replicated. */
  List<String> bootstrapPrefix() {
    return member() ? List.of("SET SESSION wsrep_on = OFF;") : List.of();
  }

  /** Statements of the init file that (re)create the transfer account with the shared secret. */
  List<String> bootstrapSuffix() {
    if (!member()) {
      return List.of();
    }
    String secret = secret();
    List<String> statements = new ArrayList<>();
    for (String host : List.of("localhost", "127.0.0.1")) {
      String account = Sql.account(new UserRef(SST_USER, host));
      String identified = " IDENTIFIED BY " + Sql.literal(secret);
      statements.add("CREATE USER IF NOT EXISTS " + account + identified + ";");
      statements.add("ALTER USER " + account + identified + ";");
      // what mariadb-backup needs on a donor (MariaDB's documented SST grants)
      statements.add(
          "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO " + account + ";");
    }
    return statements;
  }

  // ---- start -----------------------------------------------------------------------------

  /**
   * Extra server arguments of the next start: {@code --wsrep-new-cluster} on the bootstrap member's
   * first start, or when Galera marked this member the only one safe to start the cluster from
   * ({@code safe_to_bootstrap: 1}: it was the last to leave a cluster that stopped cleanly). After
   * a crash, the position recovered from InnoDB, so that the member catches up by an incremental
   * transfer instead of copying everything again.
   */
  List<String> startArguments() {
    Optional<State> state = load();
    if (state.isEmpty()) {
      return List.of();
    }
    Map<String, String> grastate = grastate();
    boolean neverStarted = grastate.isEmpty() || grastate.getOrDefault("uuid", "").matches("[0-]*");
    boolean firstStart = state.get().bootstrap() && neverStarted;
    boolean safe = "1".equals(grastate.get("safe_to_bootstrap"));
    List<String> arguments = new ArrayList<>();
    if (!neverStarted && "-1".equals(grastate.get("seqno"))) {
      recoveredPosition()
          .ifPresent(position -> arguments.add("--wsrep_start_position=" + position));
    }
    if (!firstStart && !safe) {
      return arguments;
    }
    save(
        new State(
            state.get().clusterId(),
            state.get().self(),
            state.get().bootstrap(),
            state.get().members(),
            state.get().bootstrapped() + 1));
    LOG.info(
        "instance={} event=cluster-bootstrap cluster={} reason={}",
        context.instanceId(),
        state.get().clusterId(),
        firstStart ? "first-start" : "safe-to-bootstrap");
    arguments.add("--wsrep-new-cluster");
    return arguments;
  }

  /**
   * Runs the server once with {@code --wsrep-recover} (as Debian's {@code galera_recovery} does):
   * it reads the last committed write set's position from InnoDB, logs it and exits.
   */
  private Optional<String> recoveredPosition() {
    Path log = context.logDir().resolve("wsrep-recover.log");
    try {
      Files.deleteIfExists(log);
      OsProcesses.run(
          List.of(
              context.binary("server"),
              "--defaults-file=" + defaultsFile,
              "--wsrep-recover",
              "--log-error=" + log),
          context.runAsUser(),
          RECOVERY_DEADLINE,
          Map.of());
      String marker = "WSREP: Recovered position:";
      Optional<String> position =
          Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream()
              .filter(line -> line.contains(marker))
              .reduce((first, second) -> second)
              .map(line -> line.substring(line.indexOf(marker) + marker.length()).strip());
      LOG.info(
          "instance={} event=cluster-position-recovered position={}",
          context.instanceId(),
          position.orElse("none"));
      return position;
    } catch (IOException e) {
      throw EngineException.failure("cannot recover the Galera position: " + e.getMessage(), e);
    }
  }

  /** How long a member's start may take: a joiner copies the whole data set from a donor first. */
  Duration startDeadline(Duration standalone) {
    return member() ? standalone.plus(Duration.ofMinutes(15)) : standalone;
  }

  /** After the server accepts logins: waits until the member serves the cluster's data. */
  void awaitSynced(Duration timeout) {
    if (!member()) {
      return;
    }
    Map<String, String> last = awaitStatus(timeout, s -> synced(s), "synced");
    LOG.info(
        "instance={} event=cluster-synced size={} state={}",
        context.instanceId(),
        last.get("wsrep_cluster_size"),
        last.get("wsrep_cluster_state_uuid"));
  }

  // ---- cluster calls ---------------------------------------------------------------------

  /** Waits until every member of {@code setup} is in the primary component. */
  void awaitMembers(ClusterSetup setup, Duration timeout) {
    remember(setup);
    List<String> addresses =
        setup.members().stream().map(m -> m.address() + ":" + m.port()).toList();
    awaitStatus(
        timeout,
        s -> synced(s) && size(s) >= setup.members().size() && incoming(s).containsAll(addresses),
        "all " + setup.members().size() + " members joined");
  }

  /** Keeps the grown or shrunk member list for the next start (the server keeps running). */
  void remember(ClusterSetup setup) {
    load()
        .ifPresent(
            s -> {
              if (!s.members().equals(setup.members())) {
                save(
                    new State(
                        s.clusterId(), s.self(), s.bootstrap(), setup.members(), s.bootstrapped()));
                writeConfig.run();
              }
            });
  }

  ClusterStatus status() {
    State state = load().orElseThrow(() -> EngineException.conflict("Not a cluster member."));
    Map<String, String> status;
    try {
      status = wsrepStatus();
    } catch (SQLException e) {
      return new ClusterStatus(
          false, List.of(), Map.of("error", "cannot read the wsrep status: " + e.getMessage()));
    }
    List<String> incoming = incoming(status);
    List<String> up =
        state.members().stream()
            .filter(m -> incoming.contains(m.address() + ":" + m.port()))
            .map(ClusterMember::instanceId)
            .toList();
    Map<String, String> details = new TreeMap<>();
    for (String key :
        List.of(
            "wsrep_cluster_status",
            "wsrep_cluster_size",
            "wsrep_local_state_comment",
            "wsrep_incoming_addresses",
            "wsrep_cluster_state_uuid",
            "wsrep_ready",
            "wsrep_connected")) {
      details.put(key, status.getOrDefault(key, ""));
    }
    details.put("bootstrapped", String.valueOf(state.bootstrapped()));
    return new ClusterStatus(synced(status), up, details);
  }

  /** Galera's {@code wsrep_*} status variables. */
  Map<String, String> wsrepStatus() throws SQLException {
    Map<String, String> values = new TreeMap<>();
    try (Connection c = connector.connect(Duration.ofSeconds(3));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW GLOBAL STATUS LIKE 'wsrep\\_%'")) {
      while (rs.next()) {
        values.put(rs.getString(1).toLowerCase(java.util.Locale.ROOT), rs.getString(2));
      }
    }
    return values;
  }

  // ---- internals -------------------------------------------------------------------------

  private static boolean synced(Map<String, String> status) {
    return "Primary".equals(status.get("wsrep_cluster_status"))
        && "Synced".equals(status.get("wsrep_local_state_comment"))
        && "ON".equals(status.get("wsrep_ready"));
  }

  private static int size(Map<String, String> status) {
    try {
      return Integer.parseInt(status.getOrDefault("wsrep_cluster_size", "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static List<String> incoming(Map<String, String> status) {
    String value = status.getOrDefault("wsrep_incoming_addresses", "");
    return Arrays.stream(value.split(",")).map(String::strip).filter(a -> !a.isEmpty()).toList();
  }

  private Map<String, String> awaitStatus(
      Duration timeout, java.util.function.Predicate<Map<String, String>> done, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, String> last = Map.of();
    String error = null;
    while (true) {
      if (!running.getAsBoolean()) {
        throw EngineException.failure("the server exited while waiting until " + what);
      }
      try {
        last = wsrepStatus();
        error = null;
        if (done.test(last)) {
          return last;
        }
      } catch (SQLException e) {
        error = e.getMessage();
      }
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "the cluster member was not "
                + what
                + " within "
                + timeout.toSeconds()
                + " s (state "
                + last.getOrDefault("wsrep_local_state_comment", "?")
                + ", cluster "
                + last.getOrDefault("wsrep_cluster_status", "?")
                + ", size "
                + last.getOrDefault("wsrep_cluster_size", "?")
                + (error == null ? "" : ", last error: " + error)
                + ")");
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw EngineException.failure("interrupted while waiting until " + what, e);
      }
    }
  }

  private static String clusterAddress(List<ClusterMember> members) {
    return "gcomm://"
        + String.join(",", members.stream().map(m -> m.address() + ":" + GROUP_PORT).toList());
  }

  /** A quarter of the flavor's RAM, between 32 and 512 MB. */
  static int gcacheMb(int memoryMb) {
    return Math.min(512, Math.max(32, memoryMb / 4));
  }

  /**
   * Galera refuses group names over 32 characters (gcomm's String<32>): a UUID loses its dashes.
   */
  static String clusterName(String clusterId) {
    String name = clusterId.replace("-", "");
    return name.length() > 32 ? name.substring(0, 32) : name;
  }

  private static long positiveId(String name) {
    CRC32 crc = new CRC32();
    crc.update(name.getBytes(StandardCharsets.UTF_8));
    long id = crc.getValue();
    return id == 0 ? 1 : id;
  }

  /** GTID domain ids are 32 bits; 0 stays the domain of standalone servers. */
  private static long domainId(String name) {
    return positiveId(name);
  }

  private String provider() {
    String library = context.binaries().get(PROVIDER);
    if (library == null || !Files.isReadable(Path.of(library))) {
      throw EngineException.failure(
          "the Galera library (libgalera_smm.so, Debian package galera-4) is not installed");
    }
    return library;
  }

  private Path secretOptions() {
    return context.instanceDir().resolve(SECRET_OPTIONS);
  }

  private String secret() {
    try {
      return Files.readString(context.agentDir().resolve(SECRET_FILE), StandardCharsets.UTF_8)
          .strip();
    } catch (IOException e) {
      throw EngineException.failure("cannot read the cluster secret", e);
    }
  }

  private void writeSecret(String secret) {
    if (secret.contains("\n") || secret.contains("\"") || secret.contains("\\")) {
      throw EngineException.badRequest(
          "The cluster secret must not contain line breaks, quotes or backslashes.");
    }
    try {
      Path file = context.agentDir().resolve(SECRET_FILE);
      Path tmp = context.agentDir().resolve(SECRET_FILE + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, secret + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      // read by the server (as the run-as user) and by the transfer script it spawns
      privateFiles.write(
          secretOptions(), "[mysqld]\nwsrep_sst_auth=\"" + SST_USER + ":" + secret + "\"\n");
    } catch (IOException e) {
      throw EngineException.failure("cannot write the cluster secret: " + e.getMessage(), e);
    }
  }

  /** {@code grastate.dat}'s {@code key: value} lines; empty if Galera never ran here. */
  private Map<String, String> grastate() {
    Path file = context.dataDir().resolve("grastate.dat");
    Map<String, String> values = new TreeMap<>();
    if (!Files.exists(file)) {
      return values;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        int colon = line.indexOf(':');
        if (colon > 0 && !line.startsWith("#")) {
          values.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
      }
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    return values;
  }

  Optional<State> load() {
    Path file = context.agentDir().resolve(STATE_FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw EngineException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<ClusterMember> members = new ArrayList<>();
    int count = Integer.parseInt(p.getProperty("members", "0"));
    for (int i = 0; i < count; i++) {
      members.add(
          new ClusterMember(
              p.getProperty("member." + i + ".id"),
              p.getProperty("member." + i + ".address"),
              Integer.parseInt(p.getProperty("member." + i + ".port"))));
    }
    return Optional.of(
        new State(
            p.getProperty("cluster_id"),
            p.getProperty("self"),
            Boolean.parseBoolean(p.getProperty("bootstrap")),
            members,
            Integer.parseInt(p.getProperty("bootstrapped", "0"))));
  }

  /** Replaces the file atomically: a crash leaves the old setup or the new one. */
  private void save(State state) {
    Properties p = new Properties();
    p.setProperty("cluster_id", state.clusterId());
    p.setProperty("self", state.self());
    p.setProperty("bootstrap", String.valueOf(state.bootstrap()));
    p.setProperty("bootstrapped", String.valueOf(state.bootstrapped()));
    p.setProperty("members", String.valueOf(state.members().size()));
    for (int i = 0; i < state.members().size(); i++) {
      ClusterMember m = state.members().get(i);
      p.setProperty("member." + i + ".id", m.instanceId());
      p.setProperty("member." + i + ".address", m.address());
      p.setProperty("member." + i + ".port", String.valueOf(m.port()));
    }
    Path file = context.agentDir().resolve(STATE_FILE);
    Path tmp = context.agentDir().resolve(STATE_FILE + ".tmp");
    try {
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "Galera cluster membership, written by the Coffer agent");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw EngineException.failure("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

package dev.coffer.agent.engines.redis;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.NameRule;
import dev.coffer.api.datastores.ParameterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redis 7: users through ACLs, root as an ACL user with every permission, replication with {@code
 * REPLICAOF} (see {@link RedisReplication}), configuration groups over {@code CONFIG SET} (see
 * {@link RedisParameters}), Redis Cluster (see {@link RedisCluster}). Redis has no named databases,
 * so neither databases nor per-database access are offered.
 */
public final class RedisEngineFactory implements EngineFactory {
  static final String NAME = "redis";
  static final String ADMIN_USER = "os_admin";
  static final String ROOT_USER = "root";
  static final String REPLICATION_USER = "os_repl";
  static final String CLUSTER_USER = "os_cluster";

  /**
   * ACL rules are space-separated tokens whose first character is an operator ({@code >}, {@code
   * <}, {@code ~}, {@code +}, {@code &}...), so a user name is limited to characters that can never
   * start or split a rule.
   */
  static final NameRule USER_NAMES =
      new NameRule(
          64,
          "[A-Za-z0-9_.-]+",
          "may contain only letters, digits, underscores ('_'), hyphens ('-') and periods ('.')");

  private static final Path SERVER = Path.of("/usr/bin/redis-server");
  private static final Pattern VERSION = Pattern.compile("v=(\\d+)\\.(\\d+)(\\.\\d+)?");

  private static final DatastoreDescriptor DESCRIPTOR =
      new DatastoreDescriptor(
          NAME,
          6379,
          Set.of(
              Capability.USERS,
              Capability.ROOT,
              Capability.BACKUP,
              Capability.REPLICATION,
              Capability.CONFIGURATION,
              Capability.CLUSTERS),
          // Never used (no DATABASES capability); kept strict so that nothing can slip through.
          new NameRule(64, "[A-Za-z0-9_.-]+", "Redis has no named databases"),
          USER_NAMES,
          Set.of("default", ADMIN_USER, ROOT_USER, REPLICATION_USER, CLUSTER_USER),
          Set.of(),
          ROOT_USER,
          "redis-cli -h {host} -p {port} --user {user} --askpass");

  public RedisEngineFactory() {}

  @Override
  public DatastoreDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public List<InstalledVersion> discover() {
    if (!Files.isExecutable(SERVER)) {
      return List.of();
    }
    try {
      String output =
          OsProcesses.run(
              List.of(SERVER.toString(), "--version"),
              Optional.empty(),
              Duration.ofSeconds(10),
              Map.of());
      Matcher m = VERSION.matcher(output);
      if (!m.find()) {
        return List.of();
      }
      String version = m.group(1) + "." + m.group(2);
      String full = m.group(1) + "." + m.group(2) + (m.group(3) == null ? "" : m.group(3));
      return List.of(
          new InstalledVersion(NAME, version, full, Map.of("server", SERVER.toString())));
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  /** The Redis 7.0 catalog, for every 7.x installed here (7.2's additions are not offered). */
  @Override
  public List<ParameterSpec> parameters(String version) {
    return version != null && version.startsWith("7.") ? RedisParameters.specs() : List.of();
  }

  @Override
  public Engine create(EngineContext context) {
    return new RedisEngine(context, DESCRIPTOR);
  }
}

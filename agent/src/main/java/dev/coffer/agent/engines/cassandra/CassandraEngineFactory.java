package dev.coffer.agent.engines.cassandra;

import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineFactory;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.NameRule;
import dev.coffer.api.datastores.ParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Apache Cassandra 5.0, run from the jars the {@code cassandra-runtime} module fetches (Debian does
 * not package it): keyspaces as databases, roles as users, {@code GRANT ALL PERMISSIONS ON
 * KEYSPACE} as access, a superuser role {@code root}, snapshot backups, configuration groups over
 * {@code cassandra.yaml}, and rings of several instances (see {@link CassandraRing}).
 */
public final class CassandraEngineFactory implements EngineFactory {
  static final String NAME = "cassandra";
  static final String ADMIN_USER = "os_admin";
  static final String ROOT_USER = "root";

  /** The superuser Cassandra creates on a new node; the agent replaces it with its own. */
  static final String DEFAULT_SUPERUSER = "cassandra";

  /** Keyspaces are created with SimpleStrategy and this many replicas at most. */
  static final int MAX_REPLICATION_FACTOR = 3;

  /**
   * Unquoted CQL identifiers are folded to lower case, so only lower case names mean the same thing
   * quoted and unquoted (in cqlsh, in drivers, in the agent). Cassandra's own limit is 48.
   */
  static final NameRule NAMES =
      new NameRule(
          48,
          "[a-z][a-z0-9_]*",
          "must start with a lowercase letter and contain only lowercase letters, digits and"
              + " underscores ('_')");

  static final Set<String> SYSTEM_KEYSPACES =
      Set.of(
          "system",
          "system_auth",
          "system_schema",
          "system_distributed",
          "system_traces",
          "system_views",
          "system_virtual_schema");

  private static final DatastoreDescriptor DESCRIPTOR =
      new DatastoreDescriptor(
          NAME,
          9042,
          Set.of(
              Capability.DATABASES,
              Capability.USERS,
              Capability.USER_ACCESS,
              Capability.ROOT,
              Capability.BACKUP,
              Capability.INCREMENTAL_BACKUP,
              Capability.CONFIGURATION,
              Capability.CLUSTERS),
          NAMES,
          NAMES,
          Set.of(ADMIN_USER, DEFAULT_SUPERUSER, ROOT_USER),
          SYSTEM_KEYSPACES,
          ROOT_USER,
          "cqlsh {host} {port} -u {user}");

  public CassandraEngineFactory() {}

  @Override
  public DatastoreDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public List<InstalledVersion> discover() {
    try {
      Optional<CassandraRuntime> runtime = CassandraRuntime.discover();
      return runtime
          .map(
              r ->
                  List.of(
                      new InstalledVersion(
                          NAME,
                          r.version(),
                          r.fullVersion(),
                          Map.of(
                              CassandraRuntime.LIB, r.lib().toString(),
                              CassandraRuntime.JAVA, r.java().toString()))))
          .orElse(List.of());
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  @Override
  public List<ParameterSpec> parameters(String version) {
    return version != null && version.startsWith("5.") ? CassandraParameters.specs() : List.of();
  }

  @Override
  public Engine create(EngineContext context) {
    return new CassandraEngine(context, DESCRIPTOR);
  }
}

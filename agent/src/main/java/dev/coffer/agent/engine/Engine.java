package dev.coffer.agent.engine;

import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.EngineMetrics;
import dev.coffer.api.agent.RootCredentials;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.util.List;
import java.util.Optional;

/**
 * One running database engine of one instance, as the agent drives it. One implementation per
 * datastore; all engine syntax lives behind this interface.
 *
 * <p>Every method that changes state is idempotent where the engine allows it (initialise twice,
 * start a running engine, create a database that exists with the same spec) because commands are
 * retried after crashes. Failures are {@link EngineException}s whose kind says how the API reports
 * them. Operations the datastore does not declare throw {@link EngineException#unsupported}.
 */
public interface Engine {

  /** Creates data files and configuration if absent; does nothing if already initialised. */
  void initialize();

  /**
   * Starts the engine if it is not running (adopting a process left by a previous agent) and
   * returns once it accepts connections.
   */
  void start();

  /** Stops the engine and waits until its process has exited. Does nothing if stopped. */
  void stop();

  /** True if the engine process is alive and answers a trivial query. Never throws. */
  boolean isHealthy();

  /** PID of the engine's main process, if running. */
  Optional<Long> pid();

  void createDatabase(DatabaseSpec database);

  void deleteDatabase(String name);

  List<DatabaseSpec> listDatabases();

  void createUser(UserSpec user);

  void deleteUser(UserRef user);

  List<UserInfo> listUsers();

  /** Empty if no such user. */
  Optional<UserInfo> findUser(UserRef user);

  void updateUser(UserUpdate update);

  void grantAccess(AccessChange change);

  void revokeAccess(AccessChange change);

  /** Creates or re-enables the superuser with the given (or a generated) password. */
  RootCredentials enableRoot(Optional<String> password);

  void disableRoot();

  boolean isRootEnabled();

  /**
   * The running engine's connections and operations, read through its admin connection, for the
   * heartbeat. Empty for engines that do not report them. May throw an {@link EngineException}; the
   * heartbeat then goes without metrics.
   */
  default Optional<EngineMetrics> metrics() {
    return Optional.empty();
  }
}

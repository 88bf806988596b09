package dev.coffer.agent.runtime;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.agent.backups.BackupRunner;
import dev.coffer.agent.engine.ClusterEngine;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogEngine;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.api.agent.AccessChange;
import dev.coffer.api.agent.AgentCommand;
import dev.coffer.api.agent.BackupRequest;
import dev.coffer.api.agent.ClusterChange;
import dev.coffer.api.agent.ClusterSetup;
import dev.coffer.api.agent.ConfigurationResult;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.GuestLogChange;
import dev.coffer.api.agent.GuestLogRead;
import dev.coffer.api.agent.PrepareRequest;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.RootRequest;
import dev.coffer.api.agent.RootStatus;
import dev.coffer.api.agent.SourceReady;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.agent.UserUpdate;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each uniform {@link dev.coffer.api.agent.CommandType} into {@link Engine} calls and the
 * command's result as JSON (null for commands without one). Failures are {@link EngineException}s;
 * the caller turns them into a {@link dev.coffer.api.agent.CommandResult}.
 */
final class CommandDispatcher {
  private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);

  private final Engine engine;
  private final VersionedStart start;
  private final BackupRunner backups;
  private final ObjectMapper mapper;

  CommandDispatcher(
      Engine engine, VersionedStart start, BackupRunner backups, ObjectMapper mapper) {
    this.engine = engine;
    this.start = start;
    this.backups = backups;
    this.mapper = mapper;
  }

  JsonNode execute(AgentCommand command) {
    return switch (command.type()) {
      case PREPARE -> prepare(payload(command, PrepareRequest.class));
      case RESTART -> {
        engine.stop();
        start.start();
        yield null;
      }
      case SHUTDOWN -> {
        engine.stop();
        yield null;
      }
      case CREATE_DATABASES -> {
        payloadList(command, DatabaseSpec.class).forEach(engine::createDatabase);
        yield null;
      }
      case DELETE_DATABASE -> {
        engine.deleteDatabase(payload(command, DatabaseSpec.class).name());
        yield null;
      }
      case LIST_DATABASES -> json(engine.listDatabases());
      case CREATE_USERS -> {
        payloadList(command, UserSpec.class).forEach(engine::createUser);
        yield null;
      }
      case DELETE_USER -> {
        engine.deleteUser(payload(command, UserRef.class));
        yield null;
      }
      case LIST_USERS -> json(engine.listUsers());
      case GET_USER -> {
        UserRef user = payload(command, UserRef.class);
        yield json(
            engine
                .findUser(user)
                .orElseThrow(
                    () ->
                        EngineException.notFound(
                            "User \"" + user.name() + "@" + user.host() + "\" was not found.")));
      }
      case UPDATE_USER -> {
        engine.updateUser(payload(command, UserUpdate.class));
        yield null;
      }
      case GRANT_ACCESS -> {
        engine.grantAccess(payload(command, AccessChange.class));
        yield null;
      }
      case REVOKE_ACCESS -> {
        engine.revokeAccess(payload(command, AccessChange.class));
        yield null;
      }
      case ENABLE_ROOT -> {
        RootRequest request =
            hasPayload(command) ? payload(command, RootRequest.class) : new RootRequest(null);
        yield json(engine.enableRoot(Optional.ofNullable(request.password())));
      }
      case DISABLE_ROOT -> {
        engine.disableRoot();
        yield null;
      }
      case ROOT_STATUS -> json(new RootStatus(engine.isRootEnabled()));
      case BACKUP -> json(backups.backup(payload(command, BackupRequest.class)));
      case CHECK_DATA -> json(backups.checkData());
      case FLUSH_LOG_ARCHIVE -> json(backups.flushLogArchive());
      case PREPARE_SOURCE -> {
        ReplicationEngine replication = replication();
        yield json(
            new SourceReady(
                replication.prepareSource(payload(command, SourceRequest.class)),
                replication.seedsFromBackup()));
      }
      case RELEASE_REPLICA -> {
        replication().releaseReplica(payload(command, SourceRequest.class).replicaId());
        yield null;
      }
      case REPLICATION_STATUS -> json(replication().replicationStatus());
      case PROMOTE -> {
        replication().promote();
        yield null;
      }
      case FENCE -> {
        replication().fence();
        yield null;
      }
      case REPOINT -> {
        replication().repoint(payload(command, ReplicaSetup.class));
        yield null;
      }
      case APPLY_CONFIGURATION ->
          json(
              new ConfigurationResult(
                  configurable()
                      .applyConfiguration(
                          read(
                              command,
                              mapper
                                  .getTypeFactory()
                                  .constructMapType(Map.class, String.class, String.class)))));
      case GET_CONFIGURATION ->
          json(configurable().currentConfiguration(Set.copyOf(payloadList(command, String.class))));
      case LIST_LOGS -> json(guestLogs().list());
      case SET_LOG -> json(guestLogs().set(payload(command, GuestLogChange.class)));
      case READ_LOG -> json(guestLogs().read(payload(command, GuestLogRead.class)));
      case CONFIGURE_CLUSTER -> {
        // with the engine stopped: the next start joins the cluster
        engine.initialize();
        engine.stop();
        cluster().configureCluster(payload(command, ClusterSetup.class));
        yield null;
      }
      case FORM_CLUSTER -> {
        cluster().formCluster(payload(command, ClusterSetup.class));
        yield null;
      }
      case CLUSTER_MEMBERS_ADDED -> {
        ClusterChange change = payload(command, ClusterChange.class);
        cluster().membersAdded(change.setup(), change.instanceIds());
        yield null;
      }
      case LEAVE_CLUSTER -> {
        cluster().leaveCluster(payload(command, ClusterSetup.class));
        yield null;
      }
      case CLUSTER_MEMBERS_REMOVED -> {
        ClusterChange change = payload(command, ClusterChange.class);
        cluster().membersRemoved(change.setup(), change.instanceIds());
        yield null;
      }
      case CLUSTER_STATUS -> json(cluster().clusterStatus());
    };
  }

  /**
   * Idempotent, because the control plane re-sends PREPARE after a crash: objects that already
   * exist count as created.
   */
  private JsonNode prepare(PrepareRequest request) {
    engine.initialize();
    ReplicaSetup replicaOf = request.replicaOf();
    if (request.logArchive() != null) {
      backups.configureLogArchive(request.logArchive());
    }
    if (request.restore() != null) {
      // A restored instance is filled before it ever serves: its data and users come from the
      // backups (a re-sent PREPARE restores again, from the same immutable objects).
      engine.stop();
      backups.restore(request.restore());
    }
    if (replicaOf != null) {
      // A replica's databases and users come from its source; it never writes its own.
      engine.stop();
      replication().configureReplica(replicaOf);
      engine.start();
      replication().startReplica(replicaOf);
      return null;
    }
    start.start();
    for (DatabaseSpec database : request.databases()) {
      ignoringConflict(() -> engine.createDatabase(database), "database", database.name());
    }
    for (UserSpec user : request.users()) {
      ignoringConflict(() -> engine.createUser(user), "user", user.name());
    }
    if (!request.configuration().isEmpty()) {
      // Created with a configuration group: a new instance has no clients to spare a restart for,
      // so it starts serving with every value in effect rather than RESTART_REQUIRED.
      if (!configurable().applyConfiguration(request.configuration()).isEmpty()) {
        engine.stop();
        engine.start();
      }
    }
    return null;
  }

  private ConfigurableEngine configurable() {
    if (engine instanceof ConfigurableEngine configurable) {
      return configurable;
    }
    throw EngineException.badRequest("This datastore does not support configuration groups.");
  }

  private ClusterEngine cluster() {
    if (engine instanceof ClusterEngine cluster) {
      return cluster;
    }
    throw EngineException.badRequest("This datastore does not form clusters.");
  }

  private GuestLogs guestLogs() {
    if (engine instanceof GuestLogEngine logs) {
      return new GuestLogs(logs);
    }
    throw EngineException.badRequest("This datastore does not keep guest logs.");
  }

  private ReplicationEngine replication() {
    if (engine instanceof ReplicationEngine replication) {
      return replication;
    }
    throw EngineException.badRequest("This datastore does not support replication.");
  }

  private static void ignoringConflict(Runnable create, String what, String name) {
    try {
      create.run();
    } catch (EngineException e) {
      if (e.kind() != ErrorKind.CONFLICT) {
        throw e;
      }
      log.info("prepare found existing {}={}", what, name);
    }
  }

  private static boolean hasPayload(AgentCommand command) {
    return command.payload() != null && !command.payload().isNull();
  }

  private <T> T payload(AgentCommand command, Class<T> type) {
    return read(command, mapper.getTypeFactory().constructType(type));
  }

  private <T> List<T> payloadList(AgentCommand command, Class<T> element) {
    return read(command, mapper.getTypeFactory().constructCollectionType(List.class, element));
  }

  /** Never echoes the payload or the parser's message: payloads may hold passwords. */
  private <T> T read(AgentCommand command, JavaType type) {
    if (!hasPayload(command)) {
      throw EngineException.badRequest("The " + command.type() + " command needs a payload.");
    }
    try {
      T value = mapper.treeToValue(command.payload(), type);
      if (value == null) {
        throw EngineException.badRequest("The " + command.type() + " command needs a payload.");
      }
      return value;
    } catch (IOException | IllegalArgumentException e) {
      throw EngineException.badRequest(
          "The payload of the " + command.type() + " command is invalid.");
    }
  }

  private JsonNode json(Object value) {
    return mapper.valueToTree(value);
  }
}

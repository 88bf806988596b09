package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCredential;
import com.mongodb.ReadPreference;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.connection.ClusterConnectionMode;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A primary and one replica on real mongods. Runs only where a mongod is registered (set {@code
 * COFFER_MONGOD}); elsewhere it is skipped with the reason.
 */
class MongoDbReplicationSetTest {
  private static final MongoDbEngineFactory FACTORY = new MongoDbEngineFactory();
  private static final ReplicationCredentials CREDENTIALS =
      new ReplicationCredentials("os_repl", "repl-set-password");

  private EngineFixture source;
  private EngineFixture replica;

  @BeforeEach
  void skipWithoutMongod() throws Exception {
    Assumptions.assumeTrue(!FACTORY.discover().isEmpty(), MongoDbEngineTest.NOT_FOUND);
    source = EngineFixture.create(FACTORY, 256);
    replica = EngineFixture.create(FACTORY, 256);
  }

  @AfterEach
  void removeMongods() throws Exception {
    for (EngineFixture fixture : new EngineFixture[] {replica, source}) {
      if (fixture != null) {
        fixture.close();
      }
    }
  }

  @Test
  void aReplicaReadsWhatThePrimaryWroteAndTakesOverWhenPromoted() {
    source.engine().initialize();
    source.engine().start();
    source.engine().createDatabase(DatabaseSpec.named("shop"));
    source.engine().createUser(new UserSpec("app", "%", "app-pass", List.of("shop")));
    ReplicationEngine primary = (ReplicationEngine) source.engine();
    ReplicationEngine secondary = (ReplicationEngine) replica.engine();

    Map<String, String> positions =
        primary.prepareSource(
            new SourceRequest(CREDENTIALS, replica.context().instanceId(), false));
    ReplicaSetup setup =
        new ReplicaSetup(
            source.context().instanceId(),
            source.address(),
            source.port(),
            CREDENTIALS,
            positions,
            false);
    replica.engine().initialize();
    secondary.configureReplica(setup);
    replica.engine().start();
    secondary.startReplica(setup);
    secondary.startReplica(setup); // idempotent

    try (MongoClient writer = connect(source, ReadPreference.primary())) {
      writer.getDatabase("shop").getCollection("orders").insertOne(new Document("n", 1));
    }
    try (MongoClient reader = connect(replica, ReadPreference.secondaryPreferred())) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> reader.getDatabase("shop").getCollection("orders").countDocuments() == 1);
    }
    assertThat(secondary.replicationStatus().role()).isEqualTo(ReplicationStatus.REPLICA);
    assertThat(primary.replicationStatus().role()).isEqualTo(ReplicationStatus.PRIMARY);

    primary.fence();
    assertThat(primary.replicationStatus().role()).isEqualTo(ReplicationStatus.FENCED);
    secondary.promote();

    assertThat(secondary.replicationStatus().role()).isEqualTo(ReplicationStatus.PRIMARY);
    try (MongoClient writer = connect(replica, ReadPreference.primary())) {
      writer.getDatabase("shop").getCollection("orders").insertOne(new Document("n", 2));
    }
    primary.repoint(
        new ReplicaSetup(
            replica.context().instanceId(),
            replica.address(),
            replica.port(),
            CREDENTIALS,
            Map.of(),
            false));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ReplicationStatus.REPLICA.equals(primary.replicationStatus().role()));

    secondary.releaseReplica(source.context().instanceId());
  }

  private static MongoClient connect(EngineFixture on, ReadPreference readPreference) {
    return MongoClients.create(
        MongoClientSettings.builder()
            .applyToClusterSettings(
                b ->
                    b.hosts(List.of(new ServerAddress(on.address(), on.port())))
                        .mode(ClusterConnectionMode.SINGLE)
                        .serverSelectionTimeout(5, TimeUnit.SECONDS))
            .readPreference(readPreference)
            .credential(MongoCredential.createCredential("app", "admin", "app-pass".toCharArray()))
            .build());
  }
}

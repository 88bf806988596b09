package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.datastores.Capability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** The exact documents and files of MongoDB replication; no mongod needed. */
class MongoDbReplicationTest {
  private static final String PASSWORD = "s3cret-Repl:pw";

  private static Document config() {
    return new Document("_id", "coffer")
        .append("version", 3)
        .append("term", 2)
        .append(
            "members",
            List.of(
                new Document("_id", 0)
                    .append("host", "127.1.0.1:27017")
                    .append("priority", 1)
                    .append("votes", 1)));
  }

  @Test
  void aReplicaJoinsAsTheNextVotingMemberTaggedWithItsInstanceInTheNextVersion() {
    Document next = MongoDbReplication.withMember(config(), "127.1.0.2:27018", "r1").orElseThrow();

    assertThat(next.getInteger("version")).isEqualTo(4);
    assertThat(next.getString("_id")).isEqualTo("coffer");
    assertThat(next.getList("members", Document.class))
        .containsExactly(
            new Document("_id", 0)
                .append("host", "127.1.0.1:27017")
                .append("priority", 1)
                .append("votes", 1),
            new Document("_id", 1)
                .append("host", "127.1.0.2:27018")
                .append("priority", 1)
                .append("votes", 1)
                .append("tags", new Document("coffer_instance", "r1")));
    assertThat(MongoDbReplication.replSetReconfig(next, false))
        .isEqualTo(new Document("replSetReconfig", next));
  }

  @Test
  void joiningTwiceChangesNothing() {
    Document next = MongoDbReplication.withMember(config(), "127.1.0.2:27018", "r1").orElseThrow();

    assertThat(MongoDbReplication.withMember(next, "127.1.0.2:27018", "r1")).isEmpty();
  }

  @Test
  void releasingAReplicaRemovesTheMemberOfThatInstanceOnlyOnce() {
    Document two = MongoDbReplication.withMember(config(), "127.1.0.2:27018", "r1").orElseThrow();

    Document one = MongoDbReplication.withoutInstance(two, "r1").orElseThrow();

    assertThat(one.getInteger("version")).isEqualTo(5);
    assertThat(one.getList("members", Document.class)).isEqualTo(config().get("members"));
    assertThat(MongoDbReplication.withoutInstance(one, "r1")).isEmpty();
  }

  @Test
  void aPromotionWithoutPrimaryForcesAConfigurationOfTheHealthyMembersPreferringItself() {
    Document three =
        MongoDbReplication.withMember(
                MongoDbReplication.withMember(config(), "127.1.0.2:27018", "r1").orElseThrow(),
                "127.1.0.3:27019",
                "r2")
            .orElseThrow();
    Document status =
        new Document(
            "members",
            List.of(
                new Document("name", "127.1.0.1:27017").append("health", 0).append("state", 8),
                new Document("name", "127.1.0.2:27018").append("health", 1).append("state", 2),
                new Document("name", "127.1.0.3:27019").append("health", 1).append("state", 2)));

    Document forced = MongoDbReplication.forcedFor(three, status, "127.1.0.2:27018");

    assertThat(MongoDbReplication.replSetReconfig(forced, true))
        .isEqualTo(new Document("replSetReconfig", forced).append("force", true));
    assertThat(forced.getInteger("version")).isEqualTo(6);
    assertThat(forced.getList("members", Document.class))
        .extracting(m -> m.getString("host") + " p" + m.get("priority"))
        .containsExactly("127.1.0.2:27018 p2", "127.1.0.3:27019 p1");
  }

  @Test
  void aPlannedPromotionGivesThisMemberTheHighestPriorityOnce() {
    Document two = MongoDbReplication.withMember(config(), "127.1.0.2:27018", "r1").orElseThrow();

    Document preferred = MongoDbReplication.withPreferred(two, "127.1.0.2:27018").orElseThrow();

    assertThat(preferred.getList("members", Document.class))
        .extracting(m -> m.getString("host") + " p" + m.get("priority"))
        .containsExactly("127.1.0.1:27017 p1", "127.1.0.2:27018 p2");
    assertThat(MongoDbReplication.withPreferred(preferred, "127.1.0.2:27018")).isEmpty();
    assertThat(MongoDbReplication.stepUp()).isEqualTo(new Document("replSetStepUp", 1));
  }

  @Test
  void aFenceStepsDownEvenWithoutACaughtUpSecondaryAndFreezesForAYear() {
    assertThat(MongoDbReplication.stepDown())
        .isEqualTo(new Document("replSetStepDown", 60).append("force", true));
    assertThat(MongoDbReplication.freeze(MongoDbReplication.FENCE_FREEZE_SECONDS))
        .isEqualTo(new Document("replSetFreeze", 31_536_000));
    assertThat(MongoDbReplication.freeze(0)).isEqualTo(new Document("replSetFreeze", 0));
  }

  @Test
  void theReplicationAccountIsRootInAdminAndReserved() {
    assertThat(MongoDbReplication.createReplicationUser(PASSWORD))
        .isEqualTo(
            new Document("createUser", "os_repl")
                .append("pwd", PASSWORD)
                .append("roles", List.of(new Document("role", "root").append("db", "admin"))));
    assertThat(MongoDbEngineFactory.DESCRIPTOR.reservedUsers()).contains("os_repl");
    assertThat(MongoDbEngineFactory.DESCRIPTOR.capabilities()).contains(Capability.REPLICATION);
  }

  @Test
  void theKeyFileIsDerivedDeterministicallyInMongoDbsAlphabetAndLength() {
    String key = MongoDbReplication.keyFromPassword(PASSWORD);

    assertThat(key).isEqualTo(MongoDbReplication.keyFromPassword(PASSWORD));
    assertThat(key).isNotEqualTo(MongoDbReplication.keyFromPassword(PASSWORD + "x"));
    assertThat(key).matches("[A-Za-z0-9+/=]{6,1024}").doesNotContain(PASSWORD);
    assertThatThrownBy(() -> MongoDbReplication.keyFromPassword(""))
        .isInstanceOf(EngineException.class);
  }

  @Test
  void statusReportsRolesLagAndProgressFromReplSetGetStatus() {
    Document primary =
        new Document("name", "127.1.0.1:27017")
            .append("health", 1)
            .append("state", 1)
            .append("optime", new Document("ts", new BsonTimestamp(1_700_000_010, 3)))
            .append("optimeDate", new Date(1_700_000_010_000L));
    Document self =
        new Document("name", "127.1.0.2:27018")
            .append("health", 1)
            .append("state", 2)
            .append("self", true)
            .append("optime", new Document("ts", new BsonTimestamp(1_700_000_006, 1)))
            .append("optimeDate", new Date(1_700_000_006_000L));
    Document status = new Document("myState", 2).append("members", List.of(primary, self));

    assertThat(MongoDbReplication.status(status, false))
        .isEqualTo(
            new ReplicationStatus(
                ReplicationStatus.REPLICA, "127.1.0.1", true, 4.0, "1700000006:1", 1_700_000_006L));
    assertThat(MongoDbReplication.status(status, true).role()).isEqualTo(ReplicationStatus.FENCED);
    Document asPrimary =
        new Document("myState", 1).append("members", List.of(primary.append("self", true)));
    assertThat(MongoDbReplication.status(asPrimary, false))
        .isEqualTo(
            new ReplicationStatus(
                ReplicationStatus.PRIMARY, null, false, null, "1700000010:3", 1_700_000_010L));
  }

  @Test
  void aConfiguredReplicaHasTheSharedKeyReadOnlyAndTheSameSetNameAndNoPasswordInItsConfig()
      throws Exception {
    Path dir = Files.createTempDirectory("coffer-mongors");
    try {
      EngineContext context =
          EngineContext.of(
              "r1",
              "127.1.0.2",
              27018,
              dir,
              512,
              Optional.of("coffer"),
              Map.of("server", "/nonexistent/mongod"));
      MongoDbEngine engine = new MongoDbEngine(context);
      engine.initialize();
      ReplicaSetup setup =
          new ReplicaSetup(
              "src",
              "127.1.0.1",
              27017,
              new ReplicationCredentials("os_repl", PASSWORD),
              Map.of(),
              false);

      engine.configureReplica(setup);
      engine.configureReplica(setup);

      Path keyFile = MongoDbConfig.keyFile(context);
      assertThat(Files.readString(keyFile).strip())
          .isEqualTo(MongoDbReplication.keyFromPassword(PASSWORD));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
          .isEqualTo("r--------");
      String conf = Files.readString(context.runDir().resolve(MongoDbConfig.FILE_NAME));
      assertThat(conf).contains("replSetName: \"coffer\"").doesNotContain(PASSWORD);
      assertThat(setup.toString()).doesNotContain(PASSWORD);
      Path secret = context.agentDir().resolve("replication.secret");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
          .isEqualTo("rw-------");
    } finally {
      try (Stream<Path> tree = Files.walk(dir)) {
        for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Test
  void anUnreachableSourceFailsWithoutRepeatingThePassword() throws Exception {
    Path dir = Files.createTempDirectory("coffer-mongors");
    try {
      EngineContext context =
          EngineContext.of(
              "r1",
              "127.1.0.2",
              27018,
              dir,
              512,
              Optional.of("coffer"),
              Map.of("server", "/nonexistent/mongod"));
      MongoDbEngine engine = new MongoDbEngine(context);
      ReplicaSetup setup =
          new ReplicaSetup(
              "src",
              "127.1.0.1",
              1,
              new ReplicationCredentials("os_repl", PASSWORD),
              Map.of(),
              false);

      assertThatThrownBy(() -> engine.startReplica(setup))
          .isInstanceOf(EngineException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
    } finally {
      try (Stream<Path> tree = Files.walk(dir)) {
        for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}

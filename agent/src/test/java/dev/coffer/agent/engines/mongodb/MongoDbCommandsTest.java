package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact command documents the engine sends, as MongoDB's extended JSON. */
class MongoDbCommandsTest {

  @Test
  void aClientUserIsCreatedInAdminWithReadWriteOnEachGrantedDatabase() {
    assertThat(MongoDbCommands.createClientUser("app", "s3cret", List.of("shop", "crm")).toJson())
        .isEqualTo(
            "{\"createUser\": \"app\", \"pwd\": \"s3cret\", \"roles\": ["
                + "{\"role\": \"readWrite\", \"db\": \"shop\"}, "
                + "{\"role\": \"readWrite\", \"db\": \"crm\"}]}");
  }

  @Test
  void aUserWithoutDatabasesGetsNoRoles() {
    assertThat(MongoDbCommands.createClientUser("app", "s3cret", List.of()).toJson())
        .isEqualTo("{\"createUser\": \"app\", \"pwd\": \"s3cret\", \"roles\": []}");
  }

  @Test
  void theAgentsAdminAndRootHoldTheRootRoleOnAdmin() {
    assertThat(MongoDbCommands.createAdmin("adm1n").toJson())
        .isEqualTo(
            "{\"createUser\": \"os_admin\", \"pwd\": \"adm1n\","
                + " \"roles\": [{\"role\": \"root\", \"db\": \"admin\"}]}");
    assertThat(MongoDbCommands.createRoot("root", "r00t").toJson())
        .isEqualTo(
            "{\"createUser\": \"root\", \"pwd\": \"r00t\","
                + " \"roles\": [{\"role\": \"root\", \"db\": \"admin\"}]}");
  }

  @Test
  void aPasswordChangeIsAnUpdateUserThatLeavesTheRolesAlone() {
    assertThat(MongoDbCommands.updateUser("app", "n3w", null).toJson())
        .isEqualTo("{\"updateUser\": \"app\", \"pwd\": \"n3w\"}");
    assertThat(
            MongoDbCommands.updateUser(
                    "root", "n3w", List.of(MongoDbCommands.role("root", "admin")))
                .toJson())
        .isEqualTo(
            "{\"updateUser\": \"root\", \"pwd\": \"n3w\","
                + " \"roles\": [{\"role\": \"root\", \"db\": \"admin\"}]}");
  }

  @Test
  void grantsAndRevokesAreReadWriteRolesWithoutDuplicates() {
    assertThat(MongoDbCommands.grantRolesToUser("app", List.of("shop", "shop")).toJson())
        .isEqualTo(
            "{\"grantRolesToUser\": \"app\","
                + " \"roles\": [{\"role\": \"readWrite\", \"db\": \"shop\"}]}");
    assertThat(MongoDbCommands.revokeRolesFromUser("app", List.of("shop")).toJson())
        .isEqualTo(
            "{\"revokeRolesFromUser\": \"app\","
                + " \"roles\": [{\"role\": \"readWrite\", \"db\": \"shop\"}]}");
  }

  @Test
  void usersAreLookedUpAndDroppedInTheAdminDatabase() {
    assertThat(MongoDbCommands.usersInfo("app").toJson())
        .isEqualTo("{\"usersInfo\": {\"user\": \"app\", \"db\": \"admin\"}}");
    assertThat(MongoDbCommands.usersInfo().toJson()).isEqualTo("{\"usersInfo\": 1}");
    assertThat(MongoDbCommands.dropUser("app").toJson()).isEqualTo("{\"dropUser\": \"app\"}");
  }

  @Test
  void aDatabaseIsCreatedWithItsMarkerCollectionAndListedByName() {
    assertThat(MongoDbCommands.createMarker().toJson())
        .isEqualTo("{\"create\": \"coffer_marker\"}");
    assertThat(MongoDbCommands.dropDatabase().toJson()).isEqualTo("{\"dropDatabase\": 1}");
    assertThat(MongoDbCommands.listDatabases().toJson())
        .isEqualTo("{\"listDatabases\": 1, \"nameOnly\": true}");
  }

  @Test
  void theReplicaSetIsOneMemberAtTheInstancesOwnAddress() {
    assertThat(MongoDbCommands.replSetInitiate("coffer", "127.88.1.2", 27017).toJson())
        .isEqualTo(
            "{\"replSetInitiate\": {\"_id\": \"coffer\","
                + " \"members\": [{\"_id\": 0, \"host\": \"127.88.1.2:27017\"}]}}");
  }

  @Test
  void shutdownIsForcedBecauseAOneMemberSetHasNoSecondaryToWaitFor() {
    assertThat(MongoDbCommands.shutdown().toJson()).isEqualTo("{\"shutdown\": 1, \"force\": true}");
  }

  @Test
  void theDataCheckValidatesFullyAndCounts() {
    assertThat(MongoDbCommands.validate("orders").toJson())
        .isEqualTo("{\"validate\": \"orders\", \"full\": true}");
    assertThat(MongoDbCommands.count("orders").toJson()).isEqualTo("{\"count\": \"orders\"}");
    assertThat(MongoDbCommands.collectionsOnly().toJson()).isEqualTo("{\"type\": \"collection\"}");
  }

  @Test
  void serverStatusGivesTheOpenConnectionsAndTheSumOfTheOperationCounters() {
    org.bson.Document status =
        org.bson.Document.parse(
            "{\"connections\": {\"current\": 7, \"available\": 800},"
                + " \"opcounters\": {\"insert\": 10, \"query\": 20, \"update\": 3,"
                + " \"delete\": 1, \"getmore\": 4, \"command\": 100}}");
    assertThat(MongoDbCommands.metrics(status))
        .isEqualTo(new dev.coffer.api.agent.EngineMetrics(7, 138));
    assertThat(MongoDbCommands.metrics(new org.bson.Document()))
        .isEqualTo(new dev.coffer.api.agent.EngineMetrics(0, 0));
  }
}

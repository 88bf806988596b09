package dev.coffer.server.replication;

/** MariaDB: GTID replication, semi-synchronous, so failover loses no acknowledged write. */
class MariaDbReplicaSetTest extends ReplicaSetScenario {
  @Override
  String datastore() {
    return "mariadb";
  }

  @Override
  String addressPool() {
    return "127.83";
  }

  @Override
  boolean synchronous() {
    return true;
  }

  @Override
  String initialObjects() {
    return "\"databases\":[{\"name\":\"shop\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"shop\"}]}],";
  }

  @Override
  Client client() {
    return new SqlClient("jdbc:mariadb://", "shop", "app", "Secret-1");
  }
}

package dev.coffer.server.replication;

/**
 * PostgreSQL: streaming replication from a base backup, synchronous (one standby confirms each
 * commit), so failover loses no acknowledged write.
 */
class PostgresReplicaSetTest extends ReplicaSetScenario {
  @Override
  String datastore() {
    return "postgresql";
  }

  @Override
  String addressPool() {
    return "127.84";
  }

  @Override
  boolean synchronous() {
    return true;
  }

  @Override
  String initialObjects() {
    return "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],";
  }

  @Override
  Client client() {
    return new SqlClient("jdbc:postgresql://", "ledger", "app", "Secret-1");
  }
}

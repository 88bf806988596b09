package dev.coffer.server.replication;

/** PostgreSQL: streaming replication from a base backup, asynchronous. */
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
  String initialObjects() {
    return "\"databases\":[{\"name\":\"ledger\"}],\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\",\"databases\":[{\"name\":\"ledger\"}]}],";
  }

  @Override
  Client client() {
    return new SqlClient("jdbc:postgresql://", "ledger", "app", "Secret-1");
  }
}

package dev.coffer.server.replication;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * MariaDB with asynchronous replication: a primary killed while its replicas lag holds transactions
 * no replica received, so its history diverges; it still rejoins, rebuilt from a seed of the new
 * primary because re-pointing cannot work.
 */
class MariaDbAsyncReplicaSetTest extends MariaDbReplicaSetTest {
  @Override
  String addressPool() {
    return "127.86";
  }

  @Override
  boolean synchronous() {
    return false;
  }

  @Override
  boolean divergeBeforeFailover() {
    return true;
  }

  /** As the agent's own admin account (the test runs as root and reads its secret). */
  @Override
  void pauseReplication(String replicaId) throws Exception {
    var view = show(replicaId);
    String secret =
        Files.readString(
                coffer.home.resolve("instances").resolve(replicaId).resolve("agent/admin.secret"))
            .strip();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://" + host(view) + ":" + port(view) + "/", "os_admin", secret);
        Statement s = c.createStatement()) {
      s.execute("STOP SLAVE IO_THREAD");
    }
  }
}

package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.api.agent.UserRef;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exact replication statements each server gets. MySQL is not installed here, so its syntax is
 * specified only by these tests.
 */
class ReplicationStatementsTest {
  private final SqlDialect mariaDb = new MariaDbDialect();
  private final SqlDialect mySql = new MySqlDialect();
  private final UserRef repl = new UserRef("os_repl", "%");

  @Test
  void mariaDbFollowsItsSourceByGtidWithThePasswordBoundByTheDriver() {
    assertThat(mariaDb.changeSource("127.88.1.2", 3307, "os_repl", false))
        .isEqualTo(
            "CHANGE MASTER TO MASTER_HOST = '127.88.1.2', MASTER_PORT = 3307,"
                + " MASTER_USER = 'os_repl', MASTER_PASSWORD = ?, MASTER_CONNECT_RETRY = 2,"
                + " MASTER_USE_GTID = slave_pos");
    // a former primary also counts the transactions it wrote itself
    assertThat(mariaDb.changeSource("db-1.internal", 3306, "os_repl", true))
        .endsWith("MASTER_USE_GTID = current_pos");
    assertThat(mariaDb.startFrom("0-1-42")).containsExactly("SET GLOBAL gtid_slave_pos = '0-1-42'");
    assertThat(mariaDb.startReplica()).isEqualTo("START SLAVE");
    assertThat(mariaDb.stopReplica()).isEqualTo("STOP SLAVE");
    assertThat(mariaDb.stopReceiving()).isEqualTo("STOP SLAVE IO_THREAD");
    assertThat(mariaDb.resetReplica()).isEqualTo("RESET SLAVE ALL");
    assertThat(mariaDb.showReplicaStatus()).isEqualTo("SHOW SLAVE STATUS");
    assertThat(mariaDb.replicaStatusColumns().secondsBehind()).isEqualTo("Seconds_Behind_Master");
    assertThat(mariaDb.awaitApplied("0-1-42", 30))
        .isEqualTo("SELECT MASTER_GTID_WAIT('0-1-42', 30)");
  }

  @Test
  void mySqlUsesTheReplicaSpellingWithAutoPosition() {
    assertThat(mySql.changeSource("127.88.1.2", 3307, "os_repl", true))
        .isEqualTo(
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '127.88.1.2', SOURCE_PORT = 3307,"
                + " SOURCE_USER = 'os_repl', SOURCE_PASSWORD = ?, SOURCE_CONNECT_RETRY = 2,"
                + " SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1");
    String gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5";
    assertThat(mySql.startFrom(gtid))
        .containsExactly("RESET BINARY LOGS AND GTIDS", "SET GLOBAL gtid_purged = '" + gtid + "'");
    assertThat(mySql.startReplica()).isEqualTo("START REPLICA");
    assertThat(mySql.stopReplica()).isEqualTo("STOP REPLICA");
    assertThat(mySql.stopReceiving()).isEqualTo("STOP REPLICA IO_THREAD");
    assertThat(mySql.resetReplica()).isEqualTo("RESET REPLICA ALL");
    assertThat(mySql.showReplicaStatus()).isEqualTo("SHOW REPLICA STATUS");
    assertThat(mySql.replicaStatusColumns())
        .isEqualTo(
            new SqlDialect.ReplicaStatusColumns(
                "Source_Host",
                "Source_Port",
                "Replica_IO_Running",
                "Replica_SQL_Running",
                "Seconds_Behind_Source",
                "Retrieved_Gtid_Set",
                "Last_IO_Error"));
    assertThat(mySql.awaitApplied(gtid, 30))
        .isEqualTo("SELECT WAIT_FOR_EXECUTED_GTID_SET('" + gtid + "', 30)");
  }

  @Test
  void aHostOrAccountCannotCloseItsQuotesAndThePasswordIsNeverInTheStatement() {
    for (SqlDialect dialect : List.of(mariaDb, mySql)) {
      String sql = dialect.changeSource("h'; DROP TABLE t; --", 1, "a'b\\", false);
      assertThat(sql).contains("'h''; DROP TABLE t; --'", "'a''b\\\\'");
      assertThat(sql.chars().filter(ch -> ch == '?').count()).isEqualTo(1);
      assertThat(dialect.createReplicationUser(repl))
          .startsWith("CREATE USER IF NOT EXISTS `os_repl`@'%' IDENTIFIED")
          .endsWith("?");
    }
    assertThat(mariaDb.startFrom("0-1-2','x"))
        .containsExactly("SET GLOBAL gtid_slave_pos = '0-1-2'',''x'");
  }

  @Test
  void theReplicationAccountMayOnlyReadTheBinaryLog() {
    assertThat(mariaDb.grantReplication(repl))
        .isEqualTo("GRANT REPLICATION SLAVE ON *.* TO `os_repl`@'%'");
    assertThat(mySql.grantReplication(repl))
        .isEqualTo("GRANT REPLICATION SLAVE ON *.* TO `os_repl`@'%'");
    assertThat(mariaDb.createReplicationUser(repl))
        .isEqualTo("CREATE USER IF NOT EXISTS `os_repl`@'%' IDENTIFIED BY ?");
    assertThat(mySql.createReplicationUser(repl))
        .isEqualTo(
            "CREATE USER IF NOT EXISTS `os_repl`@'%' IDENTIFIED WITH caching_sha2_password BY ?");
  }

  @Test
  void readOnlyStopsEveryTenantAccountIncludingRoot() {
    UserRef root = new UserRef("root", "%");
    assertThat(mariaDb.setReadOnly(true)).containsExactly("SET GLOBAL read_only = ON");
    assertThat(mariaDb.setReadOnly(false)).containsExactly("SET GLOBAL read_only = OFF");
    // GRANT ALL includes READ ONLY ADMIN, which writes through read_only
    assertThat(mariaDb.denyReadOnlyBypass(root))
        .hasValue("REVOKE READ ONLY ADMIN ON *.* FROM `root`@'%'");
    // super_read_only stops SUPER too: nothing to revoke
    assertThat(mySql.setReadOnly(true)).containsExactly("SET GLOBAL super_read_only = ON");
    assertThat(mySql.setReadOnly(false))
        .containsExactly("SET GLOBAL super_read_only = OFF", "SET GLOBAL read_only = OFF");
    assertThat(mySql.denyReadOnlyBypass(root)).isEmpty();
  }

  @Test
  void semiSynchronousReplicationFallsBackToAsyncAfterTwoSeconds() {
    assertThat(mariaDb.setSemiSync(true, false))
        .containsExactly(
            "SET GLOBAL rpl_semi_sync_master_timeout = 2000",
            "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC",
            "SET GLOBAL rpl_semi_sync_master_wait_no_slave = OFF",
            "SET GLOBAL rpl_semi_sync_master_enabled = ON",
            "SET GLOBAL rpl_semi_sync_slave_enabled = OFF");
    assertThat(mySql.setSemiSync(false, true))
        .containsExactly(
            "SET GLOBAL rpl_semi_sync_source_timeout = 2000",
            "SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC",
            "SET GLOBAL rpl_semi_sync_source_wait_no_replica = OFF",
            "SET GLOBAL rpl_semi_sync_source_enabled = OFF",
            "SET GLOBAL rpl_semi_sync_replica_enabled = ON");
    assertThat(mySql.replicationOptions(7))
        .contains("plugin-load-add=semisync_source.so", "plugin-load-add=semisync_replica.so");
  }

  @Test
  void progressIsTheDomainZeroSequenceOnMariaDbAndTheTransactionCountOnMySql() {
    assertThat(mariaDb.progress(List.of("0-7-12", "1-3-99,0-5-40", ""))).isEqualTo(40);
    assertThat(mariaDb.progress(List.of("", ""))).isZero();
    assertThat(mariaDb.positionQuery())
        .isEqualTo(
            "SELECT @@GLOBAL.gtid_current_pos, @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_slave_pos");
    assertThat(
            mySql.progress(
                List.of(
                    "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11-18,\n"
                        + "4e11fa47-71ca-11e1-9e33-c80aa9429562:1")))
        .isEqualTo(14);
    assertThat(mySql.positionQuery()).isEqualTo("SELECT @@GLOBAL.gtid_executed");
  }

  @Test
  void onlyGtidSetsAreAcceptedAsStartPositions() {
    assertThat(mariaDb.isGtidSet("0-1-42")).isTrue();
    assertThat(mariaDb.isGtidSet("0-1-42,1-2-3")).isTrue();
    assertThat(mariaDb.isGtidSet("0-1-42'")).isFalse();
    assertThat(mariaDb.isGtidSet("")).isFalse();
    assertThat(mySql.isGtidSet("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7")).isTrue();
    assertThat(mySql.isGtidSet("0-1-42")).isFalse();
  }
}

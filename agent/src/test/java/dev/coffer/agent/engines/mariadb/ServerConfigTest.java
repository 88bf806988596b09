package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.EngineContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  private static EngineContext context(int memoryMb) {
    return EngineContext.of(
        "i1", "127.88.1.2", 3307, Path.of("/srv/i1"), memoryMb, Optional.empty(), Map.of());
  }

  @Test
  void theServerListensOnlyOnTheInstanceAddressAndKeepsItsFilesInTheInstance() {
    String cnf = ServerConfig.render(context(256), new MariaDbDialect());
    assertThat(cnf)
        .contains(
            "[mysqld]",
            "bind-address=127.88.1.2",
            "port=3307",
            "datadir=/srv/i1/data",
            "socket=/srv/i1/run/mysqld.sock",
            "pid-file=/srv/i1/run/mysqld.pid",
            "log-error=/srv/i1/log/error.log",
            "secure-file-priv=/srv/i1/files",
            "skip-name-resolve");
    assertThat(cnf).doesNotContain("mysqlx");
    assertThat(ServerConfig.render(context(256), new MySqlDialect())).contains("mysqlx=OFF");
  }

  @Test
  void mariaDbKeepsARowBasedBinaryLogSyncedAtEveryCommitForPointInTimeRecovery() {
    assertThat(ServerConfig.render(context(256), new MariaDbDialect()))
        .contains("log-bin=binlog", "binlog_format=ROW", "sync_binlog=1");
    // MySQL's own binary log is not archived (no point-in-time recovery declared for it)
    assertThat(ServerConfig.render(context(256), new MySqlDialect())).doesNotContain("log-bin");
  }

  @Test
  void everyServerCanJoinAReplicationSetWithAStableServerIdOfItsOwn() {
    String cnf = ServerConfig.render(context(256), new MariaDbDialect());
    assertThat(cnf)
        .contains(
            "server_id=" + ServerConfig.serverId("i1"),
            "log_slave_updates=ON",
            "gtid_strict_mode=ON",
            "relay_log=relay-bin")
        .doesNotContain("read_only", "rpl_semi_sync");
    assertThat(ServerConfig.serverId("i1")).isEqualTo(ServerConfig.serverId("i1"));
    assertThat(ServerConfig.serverId("i1")).isNotEqualTo(ServerConfig.serverId("i2"));
    assertThat(ServerConfig.serverId("i1")).isBetween(1L, 4294967295L);
  }

  @Test
  void replicasAndFencedServersStartReadOnlyAndSemiSyncFollowsTheRole() {
    MariaDbDialect dialect = new MariaDbDialect();
    ReplicationState replica = ReplicationState.replicaOf("p", "127.88.1.3", 3306, true);
    assertThat(ServerConfig.render(context(256), dialect, replica))
        .contains("read_only=ON", "rpl_semi_sync_slave_enabled=ON")
        .doesNotContain("rpl_semi_sync_master_enabled");
    assertThat(ServerConfig.render(context(256), dialect, replica.asFenced()))
        .contains("read_only=ON")
        .doesNotContain("rpl_semi_sync");
    assertThat(ServerConfig.render(context(256), dialect, replica.asPrimary()))
        .contains(
            "rpl_semi_sync_master_enabled=ON",
            "rpl_semi_sync_master_timeout=2000",
            "rpl_semi_sync_master_wait_point=AFTER_SYNC",
            "rpl_semi_sync_master_wait_no_slave=OFF",
            // crash recovery truncates what no replica acknowledged
            "rpl_semi_sync_slave_enabled=ON")
        .doesNotContain("read_only");
    assertThat(ServerConfig.render(context(256), new MySqlDialect(), replica.asFenced()))
        .contains("read_only=ON", "super_read_only=ON", "gtid_mode=ON");
  }

  @Test
  void memorySettingsFollowTheFlavorWithFloors() {
    assertThat(ServerConfig.render(context(256), new MariaDbDialect()))
        .contains("innodb_buffer_pool_size=128M", "max_connections=64");
    assertThat(ServerConfig.render(context(8192), new MariaDbDialect()))
        .contains("innodb_buffer_pool_size=4096M", "innodb_log_file_size=1024M");
    assertThat(ServerConfig.bufferPoolMb(32)).isEqualTo(32);
    assertThat(ServerConfig.maxConnections(64)).isEqualTo(50);
    assertThat(ServerConfig.maxConnections(1 << 20)).isEqualTo(1000);
  }

  @Test
  void aConfigurationGroupComesLastInTheServerSectionSoItWinsOverCofferDefaults() {
    ParameterGroup group =
        MariaDbConfiguration.canonical(
            Map.of(
                "max_connections", "300",
                "tx_isolation", "read-committed",
                "slow_query_log", "true",
                "character_set_server", "latin1"));
    String cnf =
        ServerConfig.render(
            context(256),
            new MariaDbDialect(),
            ReplicationState.replicaOf("p", "127.88.1.3", 3306, false),
            group);
    String server = cnf.substring(cnf.indexOf("[mysqld]"), cnf.indexOf("[client]"));
    assertThat(server)
        .contains(
            "max_connections=64",
            "slow_query_log_file=/srv/i1/log/slow.log",
            "# configuration group\n"
                + "max_connections=300\n"
                + "transaction-isolation=READ-COMMITTED\n"
                // a charset alone brings its own collation, or the server would not start
                + "character_set_server=latin1\n"
                + "collation_server=latin1_swedish_ci\n"
                + "slow_query_log=ON\n");
    assertThat(server.indexOf("max_connections=300")).isGreaterThan(server.indexOf("read_only=ON"));
    assertThat(server.trim()).endsWith("slow_query_log=ON");
    assertThat(ServerConfig.render(context(256), new MariaDbDialect()))
        .doesNotContain("# configuration group");
  }
}

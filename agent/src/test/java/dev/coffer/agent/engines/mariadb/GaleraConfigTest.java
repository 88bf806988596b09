package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.EngineContext;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.GuestLogSettings;
import dev.coffer.api.agent.ClusterMember;
import dev.coffer.api.agent.ClusterSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wsrep settings a Galera member's {@code my.cnf} gets, without starting a server. */
class GaleraConfigTest {
  private static final String SECRET = "Shared-Secret-1";
  private static final List<ClusterMember> MEMBERS =
      List.of(
          new ClusterMember("m1", "127.101.9.1", 3306),
          new ClusterMember("m2", "127.101.9.2", 3306),
          new ClusterMember("m3", "127.101.9.3", 3306));

  @TempDir Path dir;

  private EngineContext context() throws IOException {
    Path library = Files.createFile(dir.resolve("libgalera_smm.so"));
    Path instance = Files.createDirectories(dir.resolve("m2"));
    Files.createDirectories(instance.resolve("agent"));
    return EngineContext.of(
        "m2",
        "127.101.9.2",
        3306,
        instance,
        256,
        Optional.empty(),
        Map.of(GaleraCluster.PROVIDER, library.toString()));
  }

  private static GaleraCluster galera(EngineContext context) {
    return new GaleraCluster(
        context,
        context.instanceDir().resolve("my.cnf"),
        timeout -> {
          throw new java.sql.SQLException("no server in this test");
        },
        (file, content) -> Files.writeString(file, content),
        () -> {},
        () -> false);
  }

  private static String render(EngineContext context, GaleraCluster galera, ParameterGroup group) {
    return ServerConfig.render(
        context,
        new MariaDbDialect(),
        ReplicationState.STANDALONE,
        group,
        new GuestLogSettings(Set.of()),
        galera.serverOptions(),
        galera.trailer());
  }

  @Test
  void everyGaleraAndTransferAddressIsTheMembersOwn() throws IOException {
    EngineContext context = context();
    GaleraCluster galera = galera(context);
    galera.configure(new ClusterSetup("c1", MEMBERS, "m2", false, Map.of(), SECRET));
    String cnf = render(context, galera, ParameterGroup.EMPTY);
    assertThat(cnf)
        .contains(
            "wsrep_on=ON",
            "wsrep_cluster_name=c1",
            "wsrep_cluster_address=gcomm://127.101.9.1:4567,127.101.9.2:4567,127.101.9.3:4567",
            "wsrep_node_address=127.101.9.2:4567",
            "wsrep_node_incoming_address=127.101.9.2:3306",
            "gmcast.listen_addr=tcp://127.101.9.2:4567",
            "ist.recv_addr=127.101.9.2:4568",
            "ist.recv_bind=127.101.9.2",
            "wsrep_sst_method=mariabackup",
            "wsrep_sst_receive_address=127.101.9.2:4444",
            "sockopt=bind=127.101.9.2");
    // every IPv4 address in the file is the member's own or a peer's
    Matcher addresses = Pattern.compile("\\b\\d+\\.\\d+\\.\\d+\\.\\d+\\b").matcher(cnf);
    while (addresses.find()) {
      assertThat(addresses.group()).startsWith("127.101.9.");
    }
  }

  @Test
  void theSecretStaysOutOfTheWorldReadableFile() throws IOException {
    EngineContext context = context();
    GaleraCluster galera = galera(context);
    galera.configure(new ClusterSetup("c1", MEMBERS, "m2", false, Map.of(), SECRET));
    String cnf = render(context, galera, ParameterGroup.EMPTY);
    assertThat(cnf).doesNotContain(SECRET);
    Path options = context.instanceDir().resolve(GaleraCluster.SECRET_OPTIONS);
    assertThat(cnf).endsWith("!include " + options + "\n");
    assertThat(Files.readString(options)).contains("wsrep_sst_auth=\"os_sst:" + SECRET + "\"");
  }

  @Test
  void aConfigurationGroupCannotUndoWhatGaleraNeeds() throws IOException {
    EngineContext context = context();
    GaleraCluster galera = galera(context);
    galera.configure(new ClusterSetup("c1", MEMBERS, "m2", false, Map.of(), SECRET));
    String cnf =
        render(
            context,
            galera,
            new ParameterGroup(
                Map.of("innodb_autoinc_lock_mode", "1", "default_storage_engine", "MyISAM")));
    assertThat(cnf.lastIndexOf("innodb_autoinc_lock_mode=2"))
        .isGreaterThan(cnf.lastIndexOf("innodb_autoinc_lock_mode=1"));
    assertThat(cnf.lastIndexOf("default_storage_engine=InnoDB"))
        .isGreaterThan(cnf.lastIndexOf("default_storage_engine=MyISAM"));
  }

  @Test
  void everyMemberLogsTheClustersWritesUnderTheSameGtids() throws IOException {
    EngineContext context = context();
    GaleraCluster galera = galera(context);
    galera.configure(new ClusterSetup("c1", MEMBERS, "m2", false, Map.of(), SECRET));
    String cnf = render(context, galera, ParameterGroup.EMPTY);
    // the cluster's server_id comes after (and wins over) the instance's own
    assertThat(cnf.lastIndexOf("server_id=")).isGreaterThan(cnf.indexOf("server_id="));
    assertThat(cnf).contains("wsrep_gtid_mode=ON", "log_slave_updates=ON", "log-bin=binlog");
  }

  @Test
  void aStandaloneServerGetsNoWsrepSettings() throws IOException {
    EngineContext context = context();
    String cnf = render(context, galera(context), ParameterGroup.EMPTY);
    assertThat(cnf).doesNotContain("wsrep", "[sst]", "!include");
  }

  @Test
  void aSetupWithoutASecretOrWithoutThisMemberIsRefused() throws IOException {
    EngineContext context = context();
    GaleraCluster galera = galera(context);
    assertThatThrownBy(
            () -> galera.configure(new ClusterSetup("c1", MEMBERS, "m2", false, Map.of(), "")))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("secret");
    assertThatThrownBy(
            () -> galera.configure(new ClusterSetup("c1", MEMBERS, "m9", false, Map.of(), SECRET)))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("m9");
    assertThat(galera.member()).isFalse();
  }
}

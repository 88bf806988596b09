package dev.coffer.cli;

import static dev.coffer.cli.Bodies.P;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code coffer quota show|set} and {@code coffer datastore version set} send Trove's shapes. */
class QuotaAndGovernanceCommandsTest {
  private final ObjectMapper mapper = Json.newMapper();
  @TempDir Path home;
  private FakeServer server;
  private CliRunner cli;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    cli = CliRunner.loggedIn(home.resolve("config.json"), server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void quotaShowPrintsUseAndLimitOfTheProjectOrOfAnotherOne() {
    server
        .on(
            "GET",
            P + "/limits",
            200,
            "{\"limits\":[{\"verb\":\"ABSOLUTE\",\"max_instances\":10,\"max_volumes\":40,"
                + "\"max_backups\":50,\"max_clusters\":-1,\"used_instances\":3,\"used_volumes\":3,"
                + "\"used_backups\":0,\"used_clusters\":0}]}")
        .on(
            "GET",
            P + "/mgmt/quotas/team",
            200,
            "{\"quotas\":[{\"resource\":\"instances\",\"in_use\":2,\"reserved\":0,\"limit\":5}]}");
    CliRunner.Result own = cli.run("quota", "show");
    assertThat(own.exitCode()).as(own.err()).isZero();
    assertThat(own.out())
        .containsPattern("instances\\s+3\\s+10")
        .containsPattern("clusters\\s+0\\s+none");
    CliRunner.Result other = cli.run("quota", "show", "team");
    assertThat(other.exitCode()).as(other.err()).isZero();
    assertThat(other.out()).containsPattern("instances\\s+2\\s+5");
  }

  @Test
  void quotaSetSendsOnlyTheGivenLimits() throws Exception {
    server.on(
        "PUT", P + "/mgmt/quotas/team", 200, "{\"quotas\":{\"instances\":20,\"volumes\":100}}");
    CliRunner.Result r = cli.run("quota", "set", "team", "--instances", "20", "--volumes", "100");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(mapper.readTree(server.last("PUT", P + "/mgmt/quotas/team").body()))
        .isEqualTo(mapper.readTree("{\"quotas\":{\"instances\":20,\"volumes\":100}}"));
    assertThat(cli.run("quota", "set", "team").exitCode()).isEqualTo(2);
  }

  @Test
  void versionSetSendsStateAndVisibility() throws Exception {
    String path = "/coffer/v1/datastores/cassandra/versions/5.0";
    server.on(
        "PATCH",
        path,
        200,
        "{\"version\":{\"name\":\"5.0\",\"state\":\"evaluation\",\"visibility\":\"projects\","
            + "\"projects\":[\"p1\",\"p2\"]}}");
    CliRunner.Result r =
        cli.run(
            "datastore",
            "version",
            "set",
            "cassandra",
            "5.0",
            "--state",
            "evaluation",
            "--projects",
            "p1,p2");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(mapper.readTree(server.last("PATCH", path).body()))
        .isEqualTo(
            mapper.readTree(
                "{\"state\":\"evaluation\",\"visibility\":\"projects\",\"projects\":[\"p1\",\"p2\"]}"));
    assertThat(r.out()).contains("evaluation", "projects");
  }
}

package dev.coffer.server.clusters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.server.TestCoffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Steps the cluster tests share: create through the API, wait, find members, kill an engine. */
final class ClusterScenario {
  private final TestCoffer coffer;
  private final Duration build;

  ClusterScenario(TestCoffer coffer, Duration build) {
    this.coffer = coffer;
    this.build = build;
  }

  static String body(String name, String datastore, int count, String flavor) {
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      nodes.add("{\"flavorRef\":\"" + flavor + "\",\"volume\":{\"size\":\"1\"}}");
    }
    return "{\"cluster\":{\"name\":\""
        + name
        + "\",\"datastore\":{\"type\":\""
        + datastore
        + "\"},\"instances\":["
        + String.join(",", nodes)
        + "]}}";
  }

  /** Creates a cluster and returns its id. */
  String create(String name, String datastore, int count, String flavor) {
    var created = coffer.post(coffer.v1("/clusters"), body(name, datastore, count, flavor));
    assertThat(created.status()).as(created.raw()).isEqualTo(200);
    return created.body().at("/cluster/id").asText();
  }

  /** The cluster once its task is NONE and its {@code size} members are ACTIVE. */
  JsonNode awaitIdle(String id, int size) {
    return await()
        .atMost(build)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> coffer.get(coffer.v1("/clusters/" + id)).body().path("cluster"),
            c -> {
              assertThat(c.path("fault").isMissingNode())
                  .as("cluster fault: %s", c.path("fault"))
                  .isTrue();
              return c.at("/task/name").asText().equals("NONE")
                  && c.path("instances").size() == size
                  && c.path("status").asText().equals("ACTIVE");
            });
  }

  static List<String> ids(JsonNode cluster) {
    List<String> ids = new ArrayList<>();
    cluster.path("instances").forEach(i -> ids.add(i.path("id").asText()));
    return ids;
  }

  /** A member's instance view (endpoint, status). */
  JsonNode member(String id) {
    return coffer.get(coffer.v1("/instances/" + id)).body().path("instance");
  }

  /**
   * Kills (SIGKILL) the processes of a member whose command name is {@code marker} or whose command
   * line contains it (its engine, not its agent).
   */
  int killEngine(String memberId, String marker) throws Exception {
    String dir = coffer.home.resolve("instances").resolve(memberId).toString();
    int killed = 0;
    for (long pid : TestCoffer.processesMentioning(dir)) {
      String name;
      String command;
      try {
        name = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        command = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
      } catch (java.io.IOException gone) {
        continue;
      }
      if (name.equals(marker) || command.contains(marker)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        killed++;
      }
    }
    return killed;
  }

  void delete(String id) {
    assertThat(coffer.delete(coffer.v1("/clusters/" + id)).status()).isEqualTo(202);
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> coffer.get(coffer.v1("/clusters/" + id)).status() == 404);
  }
}

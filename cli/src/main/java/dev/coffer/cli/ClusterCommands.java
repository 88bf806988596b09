package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coffer cluster ...}: clusters of instances that serve as one (a Redis Cluster, a Galera
 * cluster, a Cassandra ring), through Trove's cluster API, the same for every engine.
 */
@Command(name = "cluster", description = "Create, grow, shrink and delete clusters.")
final class ClusterCommands extends Cli.Group {
  private final Cli cli;

  ClusterCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "create",
      description = {
        "Create a cluster of COUNT instances alike (same flavor and volume size).",
        "Minimums: Redis 3 (masters), Galera 3, Cassandra 1."
      })
  void create(
      @Parameters(paramLabel = "NAME") String name,
      @Option(
              names = "--datastore",
              required = true,
              paramLabel = "DATASTORE",
              description = "Engine, e.g. redis.")
          String datastore,
      @Option(
              names = "--version",
              paramLabel = "VERSION",
              description = "Engine version (default: the datastore's).")
          String version,
      @Option(
              names = "--flavor",
              required = true,
              paramLabel = "FLAVOR",
              description = "Flavor id or name of every member.")
          String flavor,
      @Option(
              names = "--size",
              paramLabel = "GB",
              defaultValue = "1",
              description = "Volume size in GB of every member (default 1).")
          int size,
      @Option(
              names = "--count",
              paramLabel = "N",
              defaultValue = "3",
              description = "How many members (default 3).")
          int count,
      @Option(
              names = "--option",
              paramLabel = "KEY=VALUE",
              description = "Engine option of the cluster, e.g. replicas_per_master=1 (Redis).")
          Map<String, String> options,
      @Option(names = "--wait", description = "Wait until ACTIVE, showing progress.") boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "1200",
              description = "Seconds to wait with --wait (default 1200).")
          int timeoutSeconds) {
    if (count < 1) {
      throw usage("--count must be at least 1");
    }
    ApiClient api = cli.trove();
    ObjectNode cluster = cli.object().put("name", name);
    ObjectNode store = cluster.putObject("datastore").put("type", datastore);
    if (version != null) {
      store.put("version", version);
    }
    ArrayNode members = cluster.putArray("instances");
    ObjectNode member = member(api, flavor, size);
    for (int i = 0; i < count; i++) {
      members.add(member.deepCopy());
    }
    if (options != null && !options.isEmpty()) {
      ObjectNode properties = cluster.putObject("extended_properties");
      options.forEach(properties::put);
    }
    JsonNode created = api.post("/clusters", cli.object().set("cluster", cluster));
    String id = created.path("cluster").path("id").asText();
    finish(api, id, name, wait, timeoutSeconds, created, "Building");
  }

  @Command(name = "list", description = "List the clusters of the project.")
  void list() {
    ApiClient api = cli.trove();
    JsonNode body = api.get("/clusters");
    cli.print(
        body,
        out -> {
          Table table = Table.of("id", "name", "datastore", "version", "task", "members");
          for (JsonNode c : body.path("clusters")) {
            table.row(
                c.path("id").asText(),
                c.path("name").asText(),
                c.path("datastore").path("type").asText(),
                c.path("datastore").path("version").asText(),
                c.path("task").path("name").asText(),
                Integer.toString(c.path("instances").size()));
          }
          table.print(out);
        });
  }

  @Command(name = "show", description = "Show a cluster and its members.")
  void show(@Parameters(paramLabel = "ID|NAME") String idOrName) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    JsonNode body = api.get("/clusters/" + ApiClient.segment(id));
    cli.print(body, out -> printCluster(out, body.path("cluster")));
  }

  @Command(
      name = "grow",
      description = {
        "Add COUNT members alike. Redis: each becomes a master and takes its share of the slots",
        "(with replicas_per_master, new members first become replicas of masters lacking one)."
      })
  void grow(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(
              names = "--flavor",
              required = true,
              paramLabel = "FLAVOR",
              description = "Flavor id or name of the new members.")
          String flavor,
      @Option(names = "--size", paramLabel = "GB", defaultValue = "1") int size,
      @Option(names = "--count", paramLabel = "N", defaultValue = "1") int count,
      @Option(names = "--wait", description = "Wait until ACTIVE again.") boolean wait,
      @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1200")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    ArrayNode grow = cli.mapper.createArrayNode();
    ObjectNode member = member(api, flavor, size);
    for (int i = 0; i < count; i++) {
      grow.add(member.deepCopy());
    }
    JsonNode body = api.post("/clusters/" + ApiClient.segment(id), cli.object().set("grow", grow));
    finish(api, id, idOrName, wait, timeoutSeconds, body, "Growing");
  }

  @Command(
      name = "shrink",
      description = {
        "Remove members (ids or names). Their data moves to the others first (Redis: their slots),",
        "then they are deleted. The cluster must keep its engine's minimum."
      })
  void shrink(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Parameters(paramLabel = "MEMBER", arity = "1..*") List<String> members,
      @Option(names = "--wait", description = "Wait until ACTIVE again.") boolean wait,
      @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1200")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    JsonNode cluster = find(api, idOrName);
    String id = cluster.path("id").asText();
    ArrayNode shrink = cli.mapper.createArrayNode();
    for (String member : members) {
      shrink.addObject().put("id", memberId(cluster, member));
    }
    JsonNode body =
        api.post("/clusters/" + ApiClient.segment(id), cli.object().set("shrink", shrink));
    finish(api, id, idOrName, wait, timeoutSeconds, body, "Shrinking");
  }

  @Command(name = "delete", description = "Delete a cluster and every member.")
  void delete(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--wait", description = "Wait until it is gone.") boolean wait,
      @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.delete("/clusters/" + ApiClient.segment(id));
    if (wait) {
      new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilClusterGone(id, idOrName);
      cli.done("Deleted " + idOrName + ".");
    } else {
      cli.done("Deleting " + idOrName + " (" + id + ").");
    }
  }

  private void finish(
      ApiClient api,
      String id,
      String label,
      boolean wait,
      int timeoutSeconds,
      JsonNode accepted,
      String doing) {
    if (!wait) {
      cli.print(
          accepted,
          out -> {
            out.println(doing + " " + label + " (" + id + ").");
            out.println("Follow it with 'coffer cluster show " + label + "' or pass --wait.");
          });
      return;
    }
    JsonNode done =
        new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilClusterIdle(id, label);
    cli.print(done, out -> printCluster(out, done.path("cluster")));
  }

  private ObjectNode member(ApiClient api, String flavor, int size) {
    JsonNode found = FlavorCommands.find(api, flavor);
    ObjectNode member = cli.object();
    if (found.path("id").isIntegralNumber()) {
      member.put("flavorRef", found.path("id").asInt());
    } else {
      member.put("flavorRef", FlavorCommands.idOf(found));
    }
    member.putObject("volume").put("size", size);
    return member;
  }

  static JsonNode find(ApiClient api, String idOrName) {
    return Lookup.byIdOrName(api, "cluster", idOrName);
  }

  /** A member given by id or name (members are hidden from the instance list). */
  private static String memberId(JsonNode cluster, String member) {
    for (JsonNode m : cluster.path("instances")) {
      if (member.equals(m.path("id").asText()) || member.equals(m.path("name").asText())) {
        return m.path("id").asText();
      }
    }
    throw new CliException(
        member + " is not a member of cluster " + cluster.path("name").asText(),
        "see the members with 'coffer cluster show " + cluster.path("name").asText() + "'");
  }

  static void printCluster(PrintStream out, JsonNode cluster) {
    Table.fields()
        .field("id", cluster.path("id").asText(""))
        .field("name", cluster.path("name").asText(""))
        .field("status", cluster.path("status").asText(""))
        .field("task", cluster.path("task").path("name").asText(""))
        .field(
            "datastore",
            cluster.path("datastore").path("type").asText("")
                + " "
                + cluster.path("datastore").path("version").asText(""))
        .field("created", cluster.path("created").asText(""))
        .field("fault", cluster.path("fault").path("message").asText(null))
        .print(out);
    out.println();
    Table members = Table.of("id", "name", "status", "flavor", "volume", "endpoint");
    for (JsonNode m : cluster.path("instances")) {
      JsonNode endpoint = m.path("endpoint");
      members.row(
          m.path("id").asText(),
          m.path("name").asText(),
          m.path("status").asText(""),
          m.path("flavor").path("id").asText(""),
          m.path("volume").hasNonNull("size") ? m.path("volume").path("size").asText() + " GB" : "",
          endpoint.hasNonNull("host")
              ? endpoint.path("host").asText() + ":" + endpoint.path("port").asText()
              : "");
    }
    members.print(out);
  }
}

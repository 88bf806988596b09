package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coffer replica ...}: replicas, switchover, failover and detach, the same for every engine
 * (Trove's replica_of, promote_to_replica_source, eject_replica_source and detach, plus Coffer's
 * failover policy and stable primary endpoint).
 */
@Command(
    name = "replica",
    description = "Create replicas, switch over, fail over, detach, and set the failover policy.")
final class ReplicaCommands extends Cli.Group {
  private final Cli cli;

  ReplicaCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "create",
      description = {
        "Create a replica of an instance: same datastore, flavor and volume size.",
        "It is filled from a backup of the source (Redis: synced from the source), then follows it."
      })
  void create(
      @Parameters(paramLabel = "NAME") String name,
      @Option(
              names = "--of",
              required = true,
              paramLabel = "SOURCE",
              description = "The instance to replicate (id or name).")
          String source,
      @Option(
              names = "--count",
              paramLabel = "N",
              defaultValue = "1",
              description = "How many replicas (named NAME, NAME-2...).")
          int count,
      @Option(
              names = "--synchronous",
              description =
                  "Commit synchronously (MariaDB semi-sync, PostgreSQL synchronous standby);"
                      + " chosen with the first replica of a set.")
          Boolean synchronous,
      @Option(
              names = "--auto-failover",
              description = "Promote a replica automatically when the primary stops answering.")
          Boolean autoFailover,
      @Option(names = "--wait", description = "Wait until ACTIVE, showing progress.") boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "1200",
              description = "Seconds to wait with --wait (default 1200).")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String sourceId = InstanceCommands.find(api, source).path("id").asText();
    ObjectNode instance =
        cli.object().put("name", name).put("replica_of", sourceId).put("replica_count", count);
    if (synchronous != null || autoFailover != null) {
      ObjectNode policy = instance.putObject("replication");
      if (synchronous != null) {
        policy.put("synchronous", synchronous);
      }
      if (autoFailover != null) {
        policy.put("auto_failover", autoFailover);
      }
    }
    JsonNode created = api.post("/instances", cli.object().set("instance", instance));
    String id = created.path("instance").path("id").asText();
    if (!wait) {
      cli.print(
          created,
          out -> {
            InstanceCommands.printInstance(out, created.path("instance"));
            out.println("Follow it with 'coffer replica list " + source + "' or pass --wait.");
          });
      return;
    }
    JsonNode active =
        new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilActive(id, name);
    cli.print(active, out -> InstanceCommands.printInstance(out, active.path("instance")));
  }

  @Command(
      name = "list",
      description = "Show the replication set of an instance: members, roles, lag, endpoint.")
  void list(@Parameters(paramLabel = "ID|NAME") String idOrName) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, idOrName).path("id").asText();
    JsonNode body = api.get("/instances/" + ApiClient.segment(id) + "/replication");
    cli.print(body, out -> printSet(out, body.path("replication")));
  }

  @Command(
      name = "promote",
      description = {
        "Planned switchover: make this replica the primary without losing acknowledged writes.",
        "The old primary stops taking writes, the replica catches up, is promoted, and every",
        "other member (the old primary too) follows it."
      })
  void promote(
      @Parameters(paramLabel = "REPLICA") String replica,
      @Option(names = "--wait", description = "Wait until it is done.") boolean wait,
      @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300") int timeout) {
    topologyAction(replica, "promote_to_replica_source", wait, timeout, "Switching over to ");
  }

  @Command(
      name = "eject",
      description = {
        "The primary is lost: promote its most advanced replica and re-point the others.",
        "Refused while the primary still answers (use promote for a planned switchover)."
      })
  void eject(
      @Parameters(paramLabel = "PRIMARY") String primary,
      @Option(names = "--wait", description = "Wait until it is done.") boolean wait,
      @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300") int timeout) {
    topologyAction(primary, "eject_replica_source", wait, timeout, "Ejecting ");
  }

  private void topologyAction(
      String idOrName, String action, boolean wait, int timeout, String message) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, idOrName).path("id").asText();
    String oldPrimary =
        api.get("/instances/" + ApiClient.segment(id) + "/replication")
            .path("replication")
            .path("primary")
            .asText();
    api.post(
        "/instances/" + ApiClient.segment(id) + "/action", cli.object().set(action, cli.object()));
    if (!wait) {
      cli.done(message + idOrName + "; follow it with 'coffer replica list " + idOrName + "'.");
      return;
    }
    JsonNode set =
        new Waiter(cli, api, Duration.ofSeconds(timeout))
            .untilPrimaryChanged(id, oldPrimary, idOrName);
    cli.print(cli.object().set("replication", set), out -> printSet(out, set));
  }

  @Command(name = "detach", description = "Make a replica a standalone, writable instance.")
  void detach(
      @Parameters(paramLabel = "REPLICA") String replica,
      @Option(names = "--wait", description = "Wait until ACTIVE.") boolean wait,
      @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300") int timeout) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, replica).path("id").asText();
    ObjectNode instance = cli.object();
    instance.putNull("replica_of");
    api.put("/instances/" + ApiClient.segment(id), cli.object().set("instance", instance));
    if (wait) {
      JsonNode active = new Waiter(cli, api, Duration.ofSeconds(timeout)).untilActive(id, replica);
      cli.print(active, out -> InstanceCommands.printInstance(out, active.path("instance")));
    } else {
      cli.done("Detaching " + replica + ".");
    }
  }

  @Command(name = "policy", description = "Set the failover policy of an instance's set.")
  void policy(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(
              names = "--auto-failover",
              paramLabel = "on|off",
              description = "Promote a replica automatically when the primary stops answering.")
          String autoFailover,
      @Option(
              names = "--failover-after",
              paramLabel = "SECONDS",
              description = "How long the primary must be silent first (2-3600).")
          Integer failoverAfter,
      @Option(
              names = "--max-lag",
              paramLabel = "SECONDS",
              description = "Never promote a replica further behind than this (0: no limit).")
          Integer maxLag) {
    ApiClient api = cli.trove();
    String id = InstanceCommands.find(api, idOrName).path("id").asText();
    ObjectNode policy = cli.object();
    if (autoFailover != null) {
      if (!autoFailover.equals("on") && !autoFailover.equals("off")) {
        throw usage("--auto-failover takes on or off");
      }
      policy.put("auto_failover", autoFailover.equals("on"));
    }
    if (failoverAfter != null) {
      policy.put("failover_after_seconds", failoverAfter);
    }
    if (maxLag != null) {
      policy.put("max_lag_seconds", maxLag);
    }
    JsonNode body =
        api.put(
            "/instances/" + ApiClient.segment(id) + "/replication",
            cli.object().set("replication", policy));
    cli.print(body, out -> printSet(out, body.path("replication")));
  }

  private static void printSet(java.io.PrintStream out, JsonNode set) {
    JsonNode endpoint = set.path("primary_endpoint");
    Table.fields()
        .field("set", set.path("set_id").asText(""))
        .field("primary", set.path("primary").asText(""))
        .field(
            "primary_endpoint",
            endpoint.hasNonNull("host")
                ? endpoint.path("host").asText() + ":" + endpoint.path("port").asText()
                : null)
        .field("synchronous", set.path("synchronous").asBoolean() ? "yes" : "no")
        .field("auto_failover", set.path("auto_failover").asBoolean() ? "yes" : "no")
        .field("failover_after", set.path("failover_after_seconds").asText("") + " s")
        .field("max_lag", set.path("max_lag_seconds").asText("") + " s")
        .print(out);
    out.println();
    Table members = Table.of("id", "role", "replica_of", "connected", "lag_s", "position");
    for (JsonNode m : set.path("members")) {
      members.row(
          m.path("id").asText(),
          m.path("role").asText("") + (m.path("pending_rejoin").asBoolean() ? " (rejoining)" : ""),
          m.path("replica_of").asText(""),
          m.path("connected").isNull() ? "" : m.path("connected").asText(),
          m.path("lag_seconds").isNull() ? "" : m.path("lag_seconds").asText(),
          m.path("position").asText(""));
    }
    members.print(out);
    if (set.path("events").size() > 0) {
      out.println();
      Table events = Table.of("at", "event", "old_primary", "new_primary", "detail");
      for (JsonNode e : set.path("events")) {
        events.row(
            e.path("at").asText(),
            e.path("kind").asText(),
            e.path("old_primary").asText(""),
            e.path("new_primary").asText(""),
            e.path("detail").asText(""));
      }
      events.print(out);
    }
  }
}

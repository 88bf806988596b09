package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer instance ...}: create, inspect, restart and delete database instances. */
@Command(name = "instance", description = "Create, list, show, restart and delete instances.")
final class InstanceCommands extends Cli.Group {
  private final Cli cli;

  InstanceCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "create",
      description = {
        "Create an instance, empty or restored from a backup.",
        "Each --user gets the databases listed after its second colon, else all --database ones.",
        "With --from-backup the datastore, databases and users come from the backup."
      })
  void create(
      @Parameters(paramLabel = "NAME") String name,
      @Option(
              names = "--datastore",
              paramLabel = "DATASTORE",
              description = "Engine, e.g. mariadb (required unless --from-backup is given).")
          String datastore,
      @Option(
              names = "--version",
              paramLabel = "VERSION",
              description = "Engine version (default: the datastore's).")
          String version,
      @Option(
              names = "--flavor",
              paramLabel = "FLAVOR",
              required = true,
              description = "Flavor id or name.")
          String flavor,
      @Option(
              names = "--size",
              paramLabel = "GB",
              required = true,
              description = "Volume size in GB.")
          int size,
      @Option(names = "--database", paramLabel = "DB", description = "Database to create.")
          List<String> databases,
      @Option(
              names = "--user",
              paramLabel = "NAME:PASSWORD[:DB1,DB2]",
              description = "User to create.")
          List<String> users,
      @Option(names = "--is-public", description = "Reachable from outside the host.")
          boolean isPublic,
      @Option(names = "--allowed-cidr", paramLabel = "CIDR", description = "Allowed client range.")
          List<String> allowedCidrs,
      @Option(
              names = "--configuration",
              paramLabel = "GROUP",
              description = "Configuration group (id or name) the instance starts with.")
          String configuration,
      @Option(
              names = "--from-backup",
              paramLabel = "BACKUP",
              description = "Restore this backup (id or name) into the new instance.")
          String fromBackup,
      @Option(
              names = "--restore-time",
              paramLabel = "ISO8601",
              description =
                  "With --from-backup: replay the source's archived log up to this UTC time"
                      + " (e.g. 2026-11-25T17:30:00Z); PostgreSQL only.")
          String restoreTime,
      @Option(names = "--wait", description = "Wait until ACTIVE, showing progress.") boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "600",
              description = "Seconds to wait with --wait (default 600).")
          int timeoutSeconds) {
    List<String> dbNames = databases == null ? List.of() : databases;
    if (fromBackup == null) {
      if (datastore == null) {
        throw usage("--datastore is required unless --from-backup is given");
      }
      if (restoreTime != null) {
        throw usage("--restore-time needs --from-backup: the backup to start from");
      }
    } else {
      if (!dbNames.isEmpty() || (users != null && !users.isEmpty())) {
        throw usage(
            "--database and --user cannot be used with --from-backup:"
                + " the databases and users come from the backup");
      }
      if (datastore == null && version != null) {
        throw usage("--version needs --datastore; with --from-backup both come from the backup");
      }
    }
    List<ObjectNode> newUsers = new ArrayList<>();
    if (users != null) {
      users.forEach(user -> newUsers.add(userSpec(user, dbNames)));
    }
    ApiClient api = cli.trove();
    JsonNode found = FlavorCommands.find(api, flavor);
    ObjectNode instance = cli.object().put("name", name);
    if (found.path("id").isIntegralNumber()) {
      instance.put("flavorRef", found.path("id").asInt());
    } else {
      instance.put("flavorRef", FlavorCommands.idOf(found));
    }
    instance.putObject("volume").put("size", size);
    if (fromBackup != null) {
      ObjectNode restorePoint =
          instance
              .putObject("restorePoint")
              .put("backupRef", BackupCommands.idOf(BackupCommands.find(api, fromBackup)));
      if (restoreTime != null) {
        restorePoint.put("restore_time", restoreTime);
      }
    }
    if (!dbNames.isEmpty()) {
      ArrayNode list = instance.putArray("databases");
      dbNames.forEach(db -> list.addObject().put("name", db));
    }
    if (!newUsers.isEmpty()) {
      instance.putArray("users").addAll(newUsers);
    }
    if (datastore != null) {
      ObjectNode store = instance.putObject("datastore").put("type", datastore);
      if (version != null) {
        store.put("version", version);
      }
    }
    ObjectNode access = instance.putObject("access").put("is_public", isPublic);
    if (allowedCidrs != null && !allowedCidrs.isEmpty()) {
      ArrayNode cidrs = access.putArray("allowed_cidrs");
      allowedCidrs.forEach(cidrs::add);
    }
    if (configuration != null) {
      instance.put(
          "configuration", ConfigurationCommands.find(api, configuration).path("id").asText());
    }
    JsonNode created;
    try {
      created = api.post("/instances", cli.object().set("instance", instance));
    } catch (ApiException e) {
      throw fromBackup == null ? e : restoreRefused(e, fromBackup, restoreTime != null);
    }
    String id = created.path("instance").path("id").asText();
    if (!wait) {
      cli.print(
          created,
          out -> {
            printInstance(out, created.path("instance"));
            out.println("Follow it with 'coffer instance show " + name + "' or pass --wait.");
          });
      return;
    }
    JsonNode active =
        new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilActive(id, name);
    cli.print(active, out -> printInstance(out, active.path("instance")));
  }

  /**
   * The server's refusal of a restore: when the message is about the backup, a hint about the
   * backup instead of the instance (a 409 is then not a name in use, a 403 not a missing role).
   */
  private static CliException restoreRefused(
      ApiException e, String backup, boolean withRestoreTime) {
    String message = e.getMessage();
    String hint = e.hint();
    if (e.status() == 400 && withRestoreTime && message.contains("restore_time")) {
      hint =
          "choose a time between the backup and the source's latest_restorable_time"
              + " ('coffer instance show <source>'), in UTC such as 2026-11-25T17:30:00Z;"
              + " or drop --restore-time to restore the backup as it was taken";
    } else if (message.toLowerCase(Locale.ROOT).contains("backup")) {
      hint =
          switch (e.status()) {
            case 403 -> "give a larger --size: the volume must hold the backup's data";
            case 404 -> "check the backup with 'coffer backup list'";
            case 409 ->
                "wait until 'coffer backup show "
                    + backup
                    + "' says COMPLETED, or restore another backup";
            default -> hint;
          };
    }
    return new CliException(message, hint, e);
  }

  /** {@code name:password[:db1,db2]}; without a database list the user gets all new databases. */
  private ObjectNode userSpec(String value, List<String> allDatabases) {
    String[] parts = value.split(":", 3);
    if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      // The value is not echoed: it may hold a password.
      throw usage("--user takes NAME:PASSWORD or NAME:PASSWORD:DB1,DB2");
    }
    ObjectNode user = cli.object().put("name", parts[0]).put("password", parts[1]);
    List<String> grants = parts.length == 3 ? List.of(parts[2].split(",")) : allDatabases;
    if (!grants.isEmpty()) {
      ArrayNode list = user.putArray("databases");
      grants.stream().filter(db -> !db.isBlank()).forEach(db -> list.addObject().put("name", db));
    }
    return user;
  }

  @Command(name = "list", description = "List instances.")
  void list(
      @Option(names = "--limit", paramLabel = "N", description = "At most this many.")
          Integer limit,
      @Option(names = "--marker", paramLabel = "ID", description = "Start after this instance.")
          String marker) {
    List<String> query = new ArrayList<>();
    if (limit != null) {
      query.add("limit=" + limit);
    }
    if (marker != null) {
      query.add("marker=" + ApiClient.segment(marker));
    }
    JsonNode body =
        cli.trove().get("/instances" + (query.isEmpty() ? "" : "?" + String.join("&", query)));
    cli.print(
        body,
        out -> {
          Table table =
              Table.of("id", "name", "datastore", "version", "status", "endpoint", "size");
          for (JsonNode instance : body.path("instances")) {
            table.row(
                instance.path("id").asText(),
                instance.path("name").asText(),
                instance.path("datastore").path("type").asText(""),
                instance.path("datastore").path("version").asText(""),
                instance.path("status").asText(""),
                endpoint(instance),
                instance.path("volume").path("size").asText(""));
          }
          table.print(out);
          String next = Lookup.nextMarker(body);
          if (next != null) {
            out.println("More: coffer instance list --marker " + next);
          }
        });
  }

  @Command(name = "show", description = "Show an instance, by id or name.")
  void show(@Parameters(paramLabel = "ID|NAME") String idOrName) {
    JsonNode instance = find(cli.trove(), idOrName);
    cli.print(cli.object().set("instance", instance), out -> printInstance(out, instance));
  }

  @Command(name = "delete", description = "Delete an instance and its data.")
  void delete(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--wait", description = "Wait until it is gone.") boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "600",
              description = "Seconds to wait.")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.delete("/instances/" + ApiClient.segment(id));
    if (wait) {
      new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilGone(id, idOrName);
      cli.done("Deleted " + idOrName + ".");
    } else {
      cli.done("Deleting " + idOrName + " (" + id + ").");
    }
  }

  @Command(name = "restart", description = "Restart the database engine of an instance.")
  void restart(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--wait", description = "Wait until ACTIVE again.") boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "600",
              description = "Seconds to wait.")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.post(
        "/instances/" + ApiClient.segment(id) + "/action",
        cli.object().set("restart", cli.object()));
    if (wait) {
      JsonNode active =
          new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilActive(id, idOrName);
      cli.print(active, out -> printInstance(out, active.path("instance")));
    } else {
      cli.done("Restarting " + idOrName + ".");
    }
  }

  @Command(
      name = "resize",
      description = {
        "Give an instance another flavor (its engine restarts with that memory) or a larger volume.",
        "An engine that does not start on the new flavor is started again on the old one."
      })
  void resize(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--flavor", paramLabel = "FLAVOR", description = "New flavor id or name.")
          String flavor,
      @Option(names = "--size", paramLabel = "GB", description = "New, larger volume size in GB.")
          Integer size,
      @Option(names = "--wait", description = "Wait until ACTIVE again.") boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "900",
              description = "Seconds to wait.")
          int timeoutSeconds) {
    if ((flavor == null) == (size == null)) {
      throw usage("give exactly one of --flavor or --size");
    }
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    ObjectNode resize = cli.object();
    if (flavor != null) {
      resize.put("flavorRef", FlavorCommands.idOf(FlavorCommands.find(api, flavor)));
    } else {
      resize.putObject("volume").put("size", size);
    }
    api.post("/instances/" + ApiClient.segment(id) + "/action", cli.object().set("resize", resize));
    if (wait) {
      JsonNode active =
          new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilActive(id, idOrName);
      cli.print(active, out -> printInstance(out, active.path("instance")));
    } else {
      cli.done("Resizing " + idOrName + "; see coffer instance show " + idOrName + ".");
    }
  }

  @Command(
      name = "access",
      description = {
        "Choose which client networks may connect to an instance (enforced by the compute).",
        "Without --allowed-cidr every client may connect again."
      })
  void access(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--allowed-cidr", paramLabel = "CIDR", description = "Allowed client range.")
          List<String> allowedCidrs,
      @Option(names = "--is-public", description = "Reachable from outside the host.")
          boolean isPublic) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    ObjectNode access = cli.object().put("is_public", isPublic);
    ArrayNode cidrs = access.putArray("allowed_cidrs");
    if (allowedCidrs != null) {
      allowedCidrs.forEach(cidrs::add);
    }
    api.put(
        "/instances/" + ApiClient.segment(id),
        cli.object().set("instance", cli.object().set("access", access)));
    cli.done(
        cidrs.isEmpty()
            ? "Every client network may connect to " + idOrName + "."
            : "Only " + String.join(", ", allowedCidrs) + " may connect to " + idOrName + ".");
  }

  @Command(
      name = "protect",
      description =
          "Turn deletion protection on (or off with --off): a protected instance refuses delete.")
  void protect(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--off", description = "Allow deletion again.") boolean off) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.put(
        "/instances/" + ApiClient.segment(id),
        cli.object().set("instance", cli.object().put("deletion_protection", !off)));
    cli.done(
        off
            ? "Deletion protection is off for " + idOrName + "."
            : "Deletion protection is on for " + idOrName + ".");
  }

  @Command(
      name = "reset-status",
      description = {
        "Administrators: end a stuck task of an instance (its status comes from the engine again);",
        "its unfinished backups are marked FAILED."
      })
  void resetStatus(@Parameters(paramLabel = "ID|NAME") String idOrName) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.post(
        "/instances/" + ApiClient.segment(id) + "/action",
        cli.object().set("reset_status", cli.object()));
    cli.done("Reset the status of " + idOrName + ".");
  }

  @Command(
      name = "upgrade",
      description = {
        "Move an instance to another version of its datastore.",
        "A full backup is taken first; a version that does not come up is rolled back."
      })
  void upgrade(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Parameters(paramLabel = "VERSION") String version,
      @Option(
              names = "--no-wait",
              description = "Return at once instead of showing progress until ACTIVE.")
          boolean noWait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "3600",
              description = "Seconds to wait (the backup comes first).")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.patch(
        "/instances/" + ApiClient.segment(id),
        cli.object().set("instance", cli.object().put("datastore_version", version)));
    if (noWait) {
      cli.done("Upgrading " + idOrName + " to " + version + ".");
      return;
    }
    JsonNode active =
        new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds)).untilActive(id, idOrName);
    JsonNode instance = active.path("instance");
    String fault = instance.path("fault").path("message").asText("");
    if (fault.startsWith("Upgrade to ")) {
      // Rolled back: ACTIVE on the old version, with the reason in its fault (cleared on success).
      throw new CliException(
          fault, "see 'coffer instance show " + idOrName + "' and 'coffer backup list'");
    }
    cli.print(active, out -> printInstance(out, instance));
  }

  @Command(
      name = "extend",
      description = {
        "Give an expiring instance (of an evaluation version) more time (admins).",
        "It then expires HOURS after the later of now and its current expiry."
      })
  void extend(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Option(names = "--hours", paramLabel = "HOURS", required = true) int hours) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.post(
        "/instances/" + ApiClient.segment(id) + "/action",
        cli.object().set("extend", cli.object().put("hours", hours)));
    String expiresAt =
        api.get("/instances/" + ApiClient.segment(id)).path("instance").path("expires_at").asText();
    cli.done("Extended " + idOrName + ": it now expires at " + expiresAt + " UTC.");
  }

  @Command(
      name = "capacity",
      description = "Show the volume's use, growth per day and days until it is full.")
  void capacity(@Parameters(paramLabel = "ID|NAME") String idOrName) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    JsonNode body = api.get("/instances/" + ApiClient.segment(id) + "/capacity");
    JsonNode c = body.path("capacity");
    cli.print(
        body,
        out ->
            Table.fields()
                .field("id", c.path("instance_id").asText())
                .field("name", c.path("name").asText())
                .field("volume", CapacityCommand.bytes(c.path("volume_size_bytes").asLong()))
                .field("used", CapacityCommand.bytes(c.path("volume_used_bytes").asLong()))
                .field("used %", c.path("used_percent").asText())
                .field("samples", c.path("samples").asInt())
                .field("growth per day", CapacityCommand.growth(c))
                .field("full in", CapacityCommand.days(c))
                .field(
                    "used in 30 days",
                    CapacityCommand.bytes(c.path("projected_used_30d_bytes").asLong()))
                .field(
                    "used in 90 days",
                    CapacityCommand.bytes(c.path("projected_used_90d_bytes").asLong()))
                .print(out));
  }

  @Command(name = "rename", description = "Give an instance a new name.")
  void rename(
      @Parameters(paramLabel = "ID|NAME") String idOrName,
      @Parameters(paramLabel = "NEW_NAME") String newName) {
    ApiClient api = cli.trove();
    String id = find(api, idOrName).path("id").asText();
    api.put(
        "/instances/" + ApiClient.segment(id),
        cli.object().set("instance", cli.object().put("name", newName)));
    cli.done("Renamed " + idOrName + " to " + newName + ".");
  }

  /**
   * Finds an instance by id, else by name, like the openstack client: {@code GET /instances/{x}};
   * on 404 the list is searched by name and the one match fetched by id.
   */
  static JsonNode find(ApiClient api, String idOrName) {
    return Lookup.byIdOrName(api, "instance", idOrName);
  }

  /** Coffer's native endpoint when the server gives one, else Trove's ip list. */
  private static String endpoint(JsonNode instance) {
    JsonNode endpoint = instance.path("endpoint");
    if (endpoint.hasNonNull("host")) {
      return endpoint.path("host").asText() + ":" + endpoint.path("port").asText();
    }
    return Cli.joined(instance.path("ip"), null);
  }

  static void printInstance(PrintStream out, JsonNode instance) {
    JsonNode volume = instance.path("volume");
    String size = volume.hasNonNull("size") ? volume.path("size").asText() + " GB" : null;
    if (size != null && volume.hasNonNull("used")) {
      size += " (" + volume.path("used").asText() + " GB used)";
    }
    JsonNode access = instance.path("access");
    Table.fields()
        .field("id", instance.path("id").asText(""))
        .field("name", instance.path("name").asText(""))
        .field("status", instance.path("status").asText(""))
        .field("operating_status", instance.path("operating_status").asText(""))
        .field(
            "datastore",
            (instance.path("datastore").path("type").asText("")
                    + " "
                    + instance.path("datastore").path("version").asText(""))
                .strip())
        .field("flavor", instance.path("flavor").path("id").asText(""))
        .field("volume", size)
        .field("endpoint", endpoint(instance))
        .field("connection", instance.path("connection").asText(""))
        .field(
            "public",
            access.has("is_public") ? (access.path("is_public").asBoolean() ? "yes" : "no") : null)
        .field("allowed_cidrs", Cli.joined(access.path("allowed_cidrs"), null))
        .field("created", instance.path("created").asText(""))
        .field("updated", instance.path("updated").asText(""))
        .field("replica_of", instance.path("replica_of").path("id").asText(""))
        .field("replicas", replicaIds(instance.path("replicas")))
        .field("replication_role", instance.path("replication").path("role").asText(""))
        .field(
            "replication_lag",
            instance.path("replication").path("lag_seconds").isNumber()
                ? instance.path("replication").path("lag_seconds").asText() + " s"
                : null)
        .field(
            "primary_endpoint",
            instance.path("replication").path("primary_endpoint").hasNonNull("host")
                ? instance.at("/replication/primary_endpoint/host").asText()
                    + ":"
                    + instance.at("/replication/primary_endpoint/port").asText()
                : null)
        .field(
            "expires_at",
            instance.hasNonNull("expires_at")
                ? instance.path("expires_at").asText()
                    + " UTC ("
                    + instance.path("expiry").path("state").asText("waiting")
                    + ")"
                : null)
        .field("fault", instance.path("fault").path("message").asText(""))
        .print(out);
  }

  private static String replicaIds(JsonNode replicas) {
    List<String> ids = new ArrayList<>();
    replicas.forEach(r -> ids.add(r.path("id").asText()));
    return ids.isEmpty() ? null : String.join(", ", ids);
  }
}

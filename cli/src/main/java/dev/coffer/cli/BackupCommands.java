package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer backup ...}: back up instances, list, show and delete their backups. */
@Command(
    name = "backup",
    description = "Create, list, show, verify and delete backups of instances.",
    subcommands = {BackupCommands.Schedule.class, BackupCommands.Strategy.class})
final class BackupCommands extends Cli.Group {
  private static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private final Cli cli;

  BackupCommands(Cli cli) {
    this.cli = cli;
  }

  @Command(
      name = "create",
      description = {
        "Back up an instance.",
        "--incremental builds on the instance's latest completed backup, --parent on the one named."
      })
  void create(
      @Parameters(paramLabel = "INSTANCE", description = "Instance id or name.") String instance,
      @Parameters(paramLabel = "NAME", description = "Name of the new backup.") String name,
      @Option(names = "--description", paramLabel = "TEXT", description = "What it is for.")
          String description,
      @Option(
              names = "--incremental",
              description = "Only what changed since the latest completed backup.")
          boolean incremental,
      @Option(
              names = "--parent",
              paramLabel = "BACKUP",
              description = "Backup (id or name) this one builds on.")
          String parent,
      @Option(
              names = "--container",
              paramLabel = "NAME",
              description = "Write it to this container instead of the backup strategy's.")
          String container,
      @Option(names = "--wait", description = "Wait until COMPLETED, showing progress.")
          boolean wait,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "600",
              description = "Seconds to wait with --wait (default 600).")
          int timeoutSeconds) {
    ApiClient api = cli.trove();
    String instanceId = InstanceCommands.find(api, instance).path("id").asText();
    ObjectNode backup = cli.object().put("name", name).put("instance", instanceId);
    if (description != null) {
      backup.put("description", description);
    }
    if (container != null) {
      backup.put("swift_container", container);
    }
    backup.put("incremental", incremental ? 1 : 0);
    if (parent != null) {
      backup.put("parent_id", idOf(find(api, parent)));
    }
    JsonNode created = api.post("/backups", cli.object().set("backup", backup));
    if (!wait) {
      cli.print(
          created,
          out -> {
            printBackup(out, created.path("backup"));
            out.println("Follow it with 'coffer backup show " + name + "' or pass --wait.");
          });
      return;
    }
    JsonNode completed =
        new Waiter(cli, api, Duration.ofSeconds(timeoutSeconds))
            .untilBackupCompleted(idOf(created.path("backup")), name);
    cli.print(completed, out -> printBackup(out, completed.path("backup")));
  }

  @Command(name = "list", description = "List backups, newest first.")
  void list(
      @Option(
              names = "--instance",
              paramLabel = "INSTANCE",
              description = "Only the backups of this instance (id or name).")
          String instance,
      @Option(
              names = "--datastore",
              paramLabel = "DATASTORE",
              description = "Only backups of this engine, e.g. mariadb.")
          String datastore,
      @Option(names = "--limit", paramLabel = "N", description = "At most this many.")
          Integer limit,
      @Option(names = "--marker", paramLabel = "ID", description = "Start after this backup.")
          String marker) {
    ApiClient api = cli.trove();
    List<String> query = new ArrayList<>();
    List<String> sameFilters = new ArrayList<>();
    if (instance != null) {
      query.add("instance_id=" + ApiClient.segment(instanceId(api, instance)));
      sameFilters.add("--instance " + instance);
    }
    if (datastore != null) {
      query.add("datastore=" + ApiClient.segment(datastore));
      sameFilters.add("--datastore " + datastore);
    }
    if (limit != null) {
      query.add("limit=" + limit);
      sameFilters.add("--limit " + limit);
    }
    if (marker != null) {
      query.add("marker=" + ApiClient.segment(marker));
    }
    JsonNode body = api.get("/backups" + (query.isEmpty() ? "" : "?" + String.join("&", query)));
    cli.print(
        body,
        out -> {
          Table table =
              Table.of(
                  "id",
                  "name",
                  "status",
                  "instance_id",
                  "parent_id",
                  "datastore",
                  "size",
                  "created");
          for (JsonNode backup : body.path("backups")) {
            table.row(
                backup.path("id").asText(),
                backup.path("name").asText(""),
                backup.path("status").asText(""),
                backup.path("instance_id").asText(""),
                backup.path("parent_id").asText(""),
                datastore(backup),
                gigabytes(backup),
                backup.path("created").asText(""));
          }
          table.print(out);
          String next = Lookup.nextMarker(body);
          if (next != null) {
            sameFilters.add("--marker " + next);
            out.println("More: coffer backup list " + String.join(" ", sameFilters));
          }
        });
  }

  @Command(
      name = "verify",
      description = {
        "Run a restore drill: restore the backup into a scratch instance, let the engine check",
        "and count the data, record how long the restore took, then delete the scratch instance."
      })
  void verify(
      @Parameters(paramLabel = "BACKUP", description = "Backup id or name.") String backup,
      @Option(
              names = "--timeout",
              paramLabel = "SECONDS",
              defaultValue = "1800",
              description = "Give up waiting after this long (default ${DEFAULT-VALUE}).")
          long timeoutSeconds) {
    ApiClient api = cli.trove();
    JsonNode before = find(api, backup);
    String id = idOf(before);
    String previous =
        before.path("verify_report").asText("") + "|" + before.path("verified_at").asText("");
    api.post("/backups/" + ApiClient.segment(id) + "/verify", cli.object());
    long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
    JsonNode now = before;
    while (System.nanoTime() < deadline) {
      now = api.get("/backups/" + ApiClient.segment(id)).path("backup");
      String current =
          now.path("verify_report").asText("") + "|" + now.path("verified_at").asText("");
      if (!now.path("verify_report").asText("").isEmpty() && !current.equals(previous)) {
        break;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    JsonNode result = now;
    cli.print(cli.object().set("backup", result), out -> printBackup(out, result));
    String report = result.path("verify_report").asText("");
    if (report.isEmpty() || report.startsWith("failed") || report.startsWith("INCONSISTENT")) {
      throw new CliException(
          report.isEmpty()
              ? "the restore drill did not finish in time"
              : "the restore drill failed: " + report,
          "check the backup with 'coffer backup show " + backup + "'");
    }
  }

  @Command(name = "show", description = "Show a backup, by id or name.")
  void show(@Parameters(paramLabel = "BACKUP", description = "Backup id or name.") String backup) {
    JsonNode found = find(cli.trove(), backup);
    cli.print(cli.object().set("backup", found), out -> printBackup(out, found));
  }

  @Command(
      name = "delete",
      description = {
        "Delete a backup.",
        "The incremental backups built on it are deleted with it: they cannot be restored alone."
      })
  void delete(
      @Parameters(paramLabel = "BACKUP", description = "Backup id or name.") String backup) {
    ApiClient api = cli.trove();
    String id = idOf(find(api, backup));
    try {
      api.delete("/backups/" + ApiClient.segment(id));
    } catch (ApiException e) {
      if (e.status() != 422) {
        throw e;
      }
      throw new CliException(
          e.getMessage(),
          "wait until 'coffer backup show "
              + backup
              + "' says COMPLETED or FAILED, then try again");
    }
    cli.done(
        "Deleted backup "
            + backup
            + (backup.equals(id) ? "" : " (" + id + ")")
            + " and any incremental backups built on it.");
  }

  /**
   * Finds a backup by id, else by name, like the openstack client: {@code GET /backups/{x}}; on 404
   * the list is searched by name and the one match fetched by id.
   */
  static JsonNode find(ApiClient api, String idOrName) {
    return Lookup.byIdOrName(api, "backup", idOrName);
  }

  static String idOf(JsonNode backup) {
    return backup.path("id").asText();
  }

  /**
   * The instance's id. Backups outlive their instance, so an id the server no longer knows as an
   * instance is still a valid filter; a name must resolve.
   */
  private static String instanceId(ApiClient api, String idOrName) {
    try {
      return InstanceCommands.find(api, idOrName).path("id").asText();
    } catch (ApiException e) {
      if (e.status() == 404 && UUID.matcher(idOrName).matches()) {
        return idOrName;
      }
      throw e;
    }
  }

  private static String datastore(JsonNode backup) {
    return (backup.path("datastore").path("type").asText("")
            + " "
            + backup.path("datastore").path("version").asText(""))
        .strip();
  }

  /**
   * The server rounds the size to 0.0001 GB: shown without an exponent ({@code 1.0E-4}), and a
   * small backup that rounds to 0 is not shown as empty.
   */
  private static String gigabytes(JsonNode backup) {
    JsonNode size = backup.path("size");
    if (!size.isNumber()) {
      return "";
    }
    if (size.decimalValue().signum() == 0 && backup.path("size_bytes").asLong() > 0) {
      return "< 0.0001 GB";
    }
    return size.decimalValue().stripTrailingZeros().toPlainString() + " GB";
  }

  static void printBackup(PrintStream out, JsonNode backup) {
    Table.fields()
        .field("id", backup.path("id").asText(""))
        .field("name", backup.path("name").asText(""))
        .field("description", backup.path("description").asText(""))
        .field("status", backup.path("status").asText(""))
        .field("instance_id", backup.path("instance_id").asText(""))
        .field("parent_id", backup.path("parent_id").asText(""))
        .field("datastore", datastore(backup))
        .field("size", gigabytes(backup))
        .field("size_bytes", backup.path("size_bytes").asText(""))
        .field("checksum", backup.path("checksum").asText(""))
        .field("locationRef", backup.path("locationRef").asText(""))
        .field("created", backup.path("created").asText(""))
        .field("updated", backup.path("updated").asText(""))
        .field("verified_at", backup.path("verified_at").asText(""))
        .field(
            "restore_seconds",
            backup.hasNonNull("restore_seconds")
                ? backup.path("restore_seconds").asText() + " s"
                : null)
        .field("verify_report", backup.path("verify_report").asText(""))
        .field("fault", backup.path("fault").path("message").asText(""))
        .print(out);
  }

  /** {@code coffer backup schedule set|show|delete INSTANCE}: cron schedules with retention. */
  @Command(name = "schedule", description = "Schedule an instance's backups and their retention.")
  static final class Schedule extends Cli.Group {
    private final Cli cli;

    Schedule(Cli cli) {
      this.cli = cli;
    }

    private String path(ApiClient api, String instance) {
      return "/instances/"
          + ApiClient.segment(InstanceCommands.find(api, instance).path("id").asText())
          + "/backup_schedule";
    }

    @Command(
        name = "set",
        description = "Set (or replace) the schedule: a cron expression in UTC and what to keep.")
    void set(
        @Parameters(paramLabel = "INSTANCE", description = "Instance id or name.") String instance,
        @Option(
                names = "--cron",
                required = true,
                paramLabel = "EXPR",
                description = "When, in UTC: five fields, e.g. '0 3 * * *'.")
            String cron,
        @Option(
                names = "--incremental",
                description = "Take incrementals on top of the latest backup.")
            boolean incremental,
        @Option(
                names = "--verify",
                description = {
                  "Verify each backup once it completes with a restore drill",
                  "(like 'coffer backup verify')."
                })
            boolean verify,
        @Option(
                names = "--keep-last",
                defaultValue = "7",
                paramLabel = "N",
                description = "Newest backups to keep (default ${DEFAULT-VALUE}).")
            int keepLast,
        @Option(
                names = "--keep-daily",
                defaultValue = "7",
                paramLabel = "N",
                description = "Days with one kept backup (default ${DEFAULT-VALUE}).")
            int keepDaily,
        @Option(
                names = "--keep-weekly",
                defaultValue = "4",
                paramLabel = "N",
                description = "Weeks with one kept backup (default ${DEFAULT-VALUE}).")
            int keepWeekly,
        @Option(
                names = "--keep-monthly",
                defaultValue = "6",
                paramLabel = "N",
                description = "Months with one kept backup (default ${DEFAULT-VALUE}).")
            int keepMonthly) {
      ApiClient api = cli.trove();
      var schedule = cli.object();
      schedule.put("cron", cron);
      schedule.put("incremental", incremental);
      schedule.put("verify", verify);
      schedule.put("keep_last", keepLast);
      schedule.put("keep_daily", keepDaily);
      schedule.put("keep_weekly", keepWeekly);
      schedule.put("keep_monthly", keepMonthly);
      JsonNode body = api.put(path(api, instance), cli.object().set("backup_schedule", schedule));
      cli.print(body, out -> printSchedule(out, body.path("backup_schedule")));
    }

    @Command(name = "show", description = "Show an instance's backup schedule.")
    void show(
        @Parameters(paramLabel = "INSTANCE", description = "Instance id or name.")
            String instance) {
      ApiClient api = cli.trove();
      JsonNode body = api.get(path(api, instance));
      cli.print(body, out -> printSchedule(out, body.path("backup_schedule")));
    }

    @Command(
        name = "delete",
        description = "Stop scheduled backups of an instance (its backups stay).")
    void delete(
        @Parameters(paramLabel = "INSTANCE", description = "Instance id or name.")
            String instance) {
      ApiClient api = cli.trove();
      api.delete(path(api, instance));
      cli.done("Removed the backup schedule of " + instance + "; its backups are kept.");
    }

    private static void printSchedule(java.io.PrintStream out, JsonNode s) {
      Table.fields()
          .field("cron", s.path("cron").asText())
          .field("incremental", s.path("incremental").asText())
          .field("verify", s.path("verify").asText())
          .field("keep_last", s.path("keep_last").asText())
          .field("keep_daily", s.path("keep_daily").asText())
          .field("keep_weekly", s.path("keep_weekly").asText())
          .field("keep_monthly", s.path("keep_monthly").asText())
          .field("next_run_at", s.path("next_run_at").asText())
          .print(out);
    }
  }

  /**
   * {@code coffer backup strategy set|list|delete}: Trove's backup strategies, which name the
   * container later backups of an instance, or of the whole project, are written to.
   */
  @Command(
      name = "strategy",
      description = {
        "Choose the container later backups are written to: for one instance (--instance)",
        "or for every instance of the project. An instance's strategy beats the project's."
      })
  static final class Strategy extends Cli.Group {
    private final Cli cli;

    Strategy(Cli cli) {
      this.cli = cli;
    }

    @Command(
        name = "set",
        aliases = "create",
        description = "Set (or change) the container of the instance's or the project's backups.")
    void set(
        @Option(
                names = "--instance",
                paramLabel = "INSTANCE",
                description = "Instance id or name; without it, the whole project.")
            String instance,
        @Option(
                names = "--container",
                required = true,
                paramLabel = "NAME",
                description = "Letters, digits, '.', '_' and '-'; a directory or key prefix.")
            String container) {
      ApiClient api = cli.trove();
      ObjectNode strategy = cli.object();
      if (instance != null) {
        strategy.put("instance_id", InstanceCommands.find(api, instance).path("id").asText());
      }
      strategy.put("swift_container", container);
      JsonNode body = api.post("/backup_strategies", cli.object().set("backup_strategy", strategy));
      cli.print(
          body,
          out -> {
            printStrategies(out, List.of(body.path("backup_strategy")));
            out.println("Backups taken from now on go to '" + container + "'; earlier ones stay.");
          });
    }

    @Command(name = "list", description = "List the project's backup strategies.")
    void list(
        @Option(
                names = "--instance",
                paramLabel = "INSTANCE",
                description = "Only the strategy of this instance (id or name).")
            String instance) {
      ApiClient api = cli.trove();
      String query =
          instance == null
              ? ""
              : "?instance_id="
                  + ApiClient.segment(InstanceCommands.find(api, instance).path("id").asText());
      JsonNode body = api.get("/backup_strategies" + query);
      List<JsonNode> strategies = new ArrayList<>();
      body.path("backup_strategies").forEach(strategies::add);
      cli.print(body, out -> printStrategies(out, strategies));
    }

    @Command(
        name = "delete",
        description = "Delete the instance's (or, without --instance, the project's) strategy.")
    void delete(
        @Option(
                names = "--instance",
                paramLabel = "INSTANCE",
                description = "Instance id or name; without it, the project-wide strategy.")
            String instance) {
      ApiClient api = cli.trove();
      String id =
          instance == null ? null : InstanceCommands.find(api, instance).path("id").asText();
      api.delete(
          "/backup_strategies" + (id == null ? "" : "?instance_id=" + ApiClient.segment(id)));
      cli.done(
          (instance == null
                  ? "Deleted the project's backup strategy"
                  : "Deleted the backup strategy of " + instance)
              + "; earlier backups stay where they are.");
    }

    private static void printStrategies(PrintStream out, List<JsonNode> strategies) {
      Table table = Table.of("instance_id", "container", "backend");
      for (JsonNode s : strategies) {
        String instanceId = s.path("instance_id").asText("");
        table.row(
            instanceId.isEmpty() ? "(project)" : instanceId,
            s.path("swift_container").asText(""),
            s.path("backend").asText(""));
      }
      table.print(out);
    }
  }
}

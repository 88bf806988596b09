package dev.coffer.server.events;

import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.StatusRules;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces every change of an instance's or a cluster's derived status (the {@code status} the API
 * shows) as an event. It looks right after each write to an instance (so short statuses such as
 * REBOOT are not missed) and samples everything every second (statuses that follow from time, such
 * as a heartbeat gone silent, or from other objects, such as a running backup). The last status
 * announced is kept durably, so a restart announces nothing twice.
 */
public final class StatusWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusWatcher.class);

  /** A cluster as the watcher sees it: its project and current derived status. */
  public record ClusterStatus(String id, String projectId, String status) {}

  private record Key(String targetType, String targetId) {}

  private record Last(String projectId, String status) {}

  private final Jdbi jdbi;
  private final InstanceRepository instances;
  private final Supplier<Set<String>> runningBackups;
  private final Supplier<List<ClusterStatus>> clusters;
  private final EventSink events;
  private final Map<Key, Last> last = new HashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "status-watcher"));

  /**
   * @param instances the undecorated repository (reads only)
   * @param clusters every live cluster with its derived status
   */
  public StatusWatcher(
      Jdbi jdbi,
      InstanceRepository instances,
      Supplier<Set<String>> runningBackups,
      Supplier<List<ClusterStatus>> clusters,
      EventSink events) {
    this.jdbi = jdbi;
    this.instances = instances;
    this.runningBackups = runningBackups;
    this.clusters = clusters;
    this.events = events;
    jdbi.useHandle(
        h ->
            h.createQuery(
                    "select target_type, target_id, project_id, status from event_last_status")
                .map(
                    (rs, ctx) -> {
                      last.put(
                          new Key(rs.getString("target_type"), rs.getString("target_id")),
                          new Last(rs.getString("project_id"), rs.getString("status")));
                      return null;
                    })
                .list());
  }

  public void start(Duration every) {
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            checkAll();
          } catch (RuntimeException e) {
            log.warn("event=status_watch_failed reason=\"{}\"", e.getMessage(), e);
          }
        },
        0,
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Looks at a just-inserted instance once its row is committed. A create inserts inside the
   * project's quota transaction, whose row the sweep on the timer's thread cannot see yet: looked
   * at before the commit, the instance would be announced as BUILD, then as deleted by the sweep,
   * then as BUILD again.
   */
  public void checkWhenCommitted(String instanceId) {
    jdbi.useHandle(
        h -> {
          if (h.isInTransaction()) {
            h.afterCommit(() -> check(instanceId));
          } else {
            check(instanceId);
          }
        });
  }

  /** Looks at one instance now (after a write to it). */
  public synchronized void check(String instanceId) {
    try {
      Optional<Instance> instance = instances.find(instanceId);
      Set<String> backups = instance.isPresent() ? runningBackups.get() : Set.of();
      observe(
          new Key("instance", instanceId),
          instance.map(Instance::projectId),
          instance.map(i -> StatusRules.status(i, Instant.now(), backups.contains(i.id()))));
    } catch (RuntimeException e) {
      log.warn("event=status_watch_failed instance={} reason=\"{}\"", instanceId, e.getMessage());
    }
  }

  synchronized void checkAll() {
    Instant now = Instant.now();
    Set<String> backups = runningBackups.get();
    Map<Key, Last> seen = new HashMap<>();
    for (Instance i : instances.live()) {
      seen.put(
          new Key("instance", i.id()),
          new Last(i.projectId(), StatusRules.status(i, now, backups.contains(i.id()))));
    }
    for (ClusterStatus c : clusters.get()) {
      seen.put(new Key("cluster", c.id()), new Last(c.projectId(), c.status()));
    }
    seen.forEach(
        (key, current) ->
            observe(key, Optional.of(current.projectId()), Optional.of(current.status())));
    for (Key gone : List.copyOf(last.keySet())) {
      if (!seen.containsKey(gone)) {
        observe(gone, Optional.empty(), Optional.empty());
      }
    }
  }

  /** Announces a new status, or the target's deletion when it has none any more. */
  private void observe(Key key, Optional<String> projectId, Optional<String> status) {
    Last before = last.get(key);
    if (status.isEmpty()) {
      if (before != null) {
        forget(key);
        events.publish(
            new Event(
                before.projectId(),
                key.targetType(),
                key.targetId(),
                key.targetType() + ".deleted",
                "info",
                capitalized(key.targetType()) + " " + key.targetId() + " was deleted.",
                Map.of("from", before.status()),
                Instant.now()));
      }
      return;
    }
    if (before != null && before.status().equals(status.get())) {
      return;
    }
    remember(key, projectId.orElseThrow(), status.get());
    String from = before == null ? "" : before.status();
    events.publish(
        new Event(
            projectId.get(),
            key.targetType(),
            key.targetId(),
            key.targetType() + ".status_changed",
            severity(status.get()),
            capitalized(key.targetType())
                + " "
                + key.targetId()
                + (from.isEmpty() ? " is " : " went from " + from + " to ")
                + status.get()
                + ".",
            Map.of("from", from, "to", status.get()),
            Instant.now()));
  }

  private static String severity(String status) {
    return switch (status) {
      case "ERROR" -> "error";
      case "SHUTDOWN" -> "warning";
      default -> "info";
    };
  }

  private static String capitalized(String word) {
    return Character.toUpperCase(word.charAt(0)) + word.substring(1);
  }

  private void remember(Key key, String projectId, String status) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate("delete from event_last_status where target_type = ? and target_id = ?")
              .bind(0, key.targetType())
              .bind(1, key.targetId())
              .execute();
          h.createUpdate(
                  "insert into event_last_status (target_type, target_id, project_id, status)"
                      + " values (?, ?, ?, ?)")
              .bind(0, key.targetType())
              .bind(1, key.targetId())
              .bind(2, projectId)
              .bind(3, status)
              .execute();
        });
    last.put(key, new Last(projectId, status));
  }

  private void forget(Key key) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from event_last_status where target_type = ? and target_id = ?")
                .bind(0, key.targetType())
                .bind(1, key.targetId())
                .execute());
    last.remove(key);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

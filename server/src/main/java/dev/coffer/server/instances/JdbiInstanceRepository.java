package dev.coffer.server.instances;

import dev.coffer.api.agent.EngineStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiInstanceRepository implements InstanceRepository {
  private static final String COLUMNS =
      "id, project_id, name, datastore_version_id, flavor_id, volume_size, volume_used_bytes,"
          + " address, port, is_public, allowed_cidrs, task_status, service_status,"
          + " service_status_updated, heartbeat_at, fault_message, fault_at, agent_secret_hash,"
          + " created_at, updated_at, deleted_at";

  private final Jdbi jdbi;
  private final String addressPrefix;

  /**
   * @param addressPrefix first two octets of the loopback pool, e.g. {@code 127.77}
   */
  public JdbiInstanceRepository(Jdbi jdbi, String addressPrefix) {
    this.jdbi = jdbi;
    this.addressPrefix = addressPrefix;
  }

  @Override
  public synchronized Instance insert(Instance instance) {
    return jdbi.inTransaction(
        h -> {
          Set<String> used =
              new HashSet<>(
                  h.createQuery("select address from instances where address is not null")
                      .mapTo(String.class)
                      .list());
          String address = null;
          for (int third = 0; third < 256 && address == null; third++) {
            for (int fourth = 2; fourth < 255; fourth++) {
              String candidate = addressPrefix + "." + third + "." + fourth;
              if (!used.contains(candidate)) {
                address = candidate;
                break;
              }
            }
          }
          if (address == null) {
            throw new IllegalStateException("the loopback address pool is exhausted");
          }
          h.createUpdate(
                  "insert into instances ("
                      + COLUMNS
                      + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                      + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
              .bind(0, instance.id())
              .bind(1, instance.projectId())
              .bind(2, instance.name())
              .bind(3, instance.datastoreVersionId())
              .bind(4, instance.flavorId())
              .bind(5, instance.volumeSize())
              .bind(6, instance.volumeUsedBytes())
              .bind(7, address)
              .bind(8, instance.port())
              .bind(9, instance.isPublic())
              .bind(10, String.join(",", instance.allowedCidrs()))
              .bind(11, instance.task().name())
              .bind(12, instance.service().name())
              .bind(13, ts(instance.serviceStatusUpdated()))
              .bind(14, ts(instance.heartbeatAt()))
              .bind(15, instance.faultMessage())
              .bind(16, ts(instance.faultAt()))
              .bind(17, instance.agentSecretHash())
              .bind(18, ts(instance.createdAt()))
              .bind(19, ts(instance.updatedAt()))
              .bind(20, ts(instance.deletedAt()))
              .execute();
          return h.createQuery("select " + COLUMNS + " from instances where id = ?")
              .bind(0, instance.id())
              .map(JdbiInstanceRepository::instance)
              .one();
        });
  }

  @Override
  public Optional<Instance> find(String projectId, String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from instances where id = ? and project_id = ? and deleted_at is null")
                .bind(0, id)
                .bind(1, projectId)
                .map(JdbiInstanceRepository::instance)
                .findFirst());
  }

  @Override
  public Optional<Instance> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select " + COLUMNS + " from instances where id = ? and deleted_at is null")
                .bind(0, id)
                .map(JdbiInstanceRepository::instance)
                .findFirst());
  }

  @Override
  public List<Instance> list(String projectId, int limit, Optional<String> marker) {
    return list(projectId, limit, marker, true);
  }

  @Override
  public List<Instance> list(
      String projectId, int limit, Optional<String> marker, boolean includeClustered) {
    return jdbi.withHandle(
        h -> {
          String sql =
              "select "
                  + COLUMNS
                  + " from instances where project_id = :project and deleted_at is null";
          if (!includeClustered) {
            sql += " and cluster_id is null";
          }
          if (marker.isPresent()) {
            sql +=
                " and (created_at, id) > (select created_at, id from instances where id = :marker)";
          }
          sql += " order by created_at, id limit :limit";
          var query = h.createQuery(sql).bind("project", projectId).bind("limit", limit);
          marker.ifPresent(m -> query.bind("marker", m));
          return query.map(JdbiInstanceRepository::instance).list();
        });
  }

  @Override
  public List<Instance> live() {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from instances where deleted_at is null order by created_at")
                .map(JdbiInstanceRepository::instance)
                .list());
  }

  @Override
  public void setCluster(String id, String clusterId, String type) {
    update(
        "update instances set cluster_id = ?, cluster_type = ?, updated_at = ? where id = ?",
        clusterId,
        type,
        now(),
        id);
  }

  @Override
  public Optional<ClusterLink> clusterOf(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select cluster_id, cluster_type from instances where id = ?"
                        + " and cluster_id is not null")
                .bind(0, id)
                .map((rs, ctx) -> new ClusterLink(rs.getString(1), rs.getString(2)))
                .findFirst());
  }

  @Override
  public List<Instance> clusterMembers(String clusterId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from instances where cluster_id = ? and deleted_at is null"
                        + " order by created_at, id")
                .bind(0, clusterId)
                .map(JdbiInstanceRepository::instance)
                .list());
  }

  @Override
  public long countLive(String projectId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select count(*) from instances where project_id = ? and deleted_at is null")
                .bind(0, projectId)
                .mapTo(Long.class)
                .one());
  }

  @Override
  public long liveVolumeGb(String projectId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select coalesce(sum(volume_size), 0) from instances where project_id = ? and deleted_at is null")
                .bind(0, projectId)
                .mapTo(Long.class)
                .one());
  }

  @Override
  public void setTask(String id, TaskStatus task) {
    update(
        "update instances set task_status = ?, updated_at = ? where id = ?",
        task.name(),
        now(),
        id);
  }

  @Override
  public void setFault(String id, TaskStatus task, String message) {
    Timestamp now = now();
    update(
        "update instances set task_status = ?, fault_message = ?, fault_at = ?, updated_at = ? where id = ?",
        task.name(),
        message,
        now,
        now,
        id);
  }

  @Override
  public boolean setFaultIf(String id, TaskStatus expected, TaskStatus task, String message) {
    Timestamp now = now();
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "update instances set task_status = ?, fault_message = ?, fault_at = ?,"
                            + " updated_at = ? where id = ? and task_status = ?")
                    .bind(0, task.name())
                    .bind(1, message)
                    .bind(2, now)
                    .bind(3, now)
                    .bind(4, id)
                    .bind(5, expected.name())
                    .execute())
        == 1;
  }

  @Override
  public void recordHeartbeat(String id, EngineStatus status, long volumeUsedBytes, Instant at) {
    ServiceStatus service = ServiceStatus.of(status);
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update instances set heartbeat_at = :at, volume_used_bytes = :used,"
                        + " service_status_updated = case when service_status = :status"
                        + " then service_status_updated else :at end, service_status = :status"
                        + " where id = :id and deleted_at is null")
                .bind("at", Timestamp.from(at))
                .bind("used", volumeUsedBytes)
                .bind("status", service.name())
                .bind("id", id)
                .execute());
  }

  @Override
  public void markRunning(String id, Instant at) {
    update(
        "update instances set service_status = ?, service_status_updated = ?, heartbeat_at = ? where id = ?",
        ServiceStatus.RUNNING.name(),
        Timestamp.from(at),
        Timestamp.from(at),
        id);
  }

  @Override
  public void setPlacement(String id, int port, String agentSecretHash) {
    update(
        "update instances set port = ?, agent_secret_hash = ?, updated_at = ? where id = ?",
        port,
        agentSecretHash,
        now(),
        id);
  }

  @Override
  public void rename(String id, String name) {
    update("update instances set name = ?, updated_at = ? where id = ?", name, now(), id);
  }

  @Override
  public void setDeletionProtection(String id, boolean protect) {
    update(
        "update instances set deletion_protection = ?, updated_at = ? where id = ?",
        protect,
        now(),
        id);
  }

  @Override
  public boolean hasDeletionProtection(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select deletion_protection from instances where id = :id")
                .bind("id", id)
                .mapTo(Boolean.class)
                .findOne()
                .orElse(false));
  }

  @Override
  public void setDatastoreVersion(String id, String datastoreVersionId) {
    update(
        "update instances set datastore_version_id = ?, updated_at = ? where id = ?",
        datastoreVersionId,
        now(),
        id);
  }

  @Override
  public void setVolumeSize(String id, int sizeGb) {
    update("update instances set volume_size = ?, updated_at = ? where id = ?", sizeGb, now(), id);
  }

  @Override
  public void setFlavor(String id, String flavorId) {
    update("update instances set flavor_id = ?, updated_at = ? where id = ?", flavorId, now(), id);
  }

  @Override
  public void setAccess(String id, boolean isPublic, List<String> allowedCidrs) {
    update(
        "update instances set is_public = ?, allowed_cidrs = ?, updated_at = ? where id = ?",
        isPublic,
        String.join(",", allowedCidrs),
        now(),
        id);
  }

  @Override
  public void markDeleted(String id) {
    Timestamp now = now();
    update(
        "update instances set deleted_at = ?, address = null, service_status = ?, task_status = ?,"
            + " updated_at = ? where id = ?",
        now,
        ServiceStatus.DELETED.name(),
        TaskStatus.NONE.name(),
        now,
        id);
  }

  private void update(String sql, Object... args) {
    jdbi.useHandle(
        h -> {
          var update = h.createUpdate(sql);
          for (int i = 0; i < args.length; i++) {
            update.bind(i, args[i]);
          }
          update.execute();
        });
  }

  private static Timestamp now() {
    return Timestamp.from(Instant.now());
  }

  private static Timestamp ts(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  private static Instance instance(ResultSet rs, StatementContext ctx) throws SQLException {
    String cidrs = rs.getString("allowed_cidrs");
    long used = rs.getLong("volume_used_bytes");
    Long volumeUsed = rs.wasNull() ? null : used;
    int port = rs.getInt("port");
    Integer portOrNull = rs.wasNull() ? null : port;
    return new Instance(
        rs.getString("id"),
        rs.getString("project_id"),
        rs.getString("name"),
        rs.getString("datastore_version_id"),
        rs.getString("flavor_id"),
        rs.getInt("volume_size"),
        volumeUsed,
        rs.getString("address"),
        portOrNull,
        rs.getBoolean("is_public"),
        cidrs == null || cidrs.isEmpty() ? List.of() : Arrays.asList(cidrs.split(",")),
        TaskStatus.valueOf(rs.getString("task_status")),
        ServiceStatus.valueOf(rs.getString("service_status")),
        instant(rs, "service_status_updated"),
        instant(rs, "heartbeat_at"),
        rs.getString("fault_message"),
        instant(rs, "fault_at"),
        rs.getString("agent_secret_hash"),
        instant(rs, "created_at"),
        instant(rs, "updated_at"),
        instant(rs, "deleted_at"));
  }
}

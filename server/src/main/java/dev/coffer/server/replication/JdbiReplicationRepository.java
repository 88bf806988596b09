package dev.coffer.server.replication;

import dev.coffer.api.agent.ReplicationStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** {@link ReplicationRepository} on the state store. */
public final class JdbiReplicationRepository implements ReplicationRepository {
  private final Jdbi jdbi;

  public JdbiReplicationRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void insertSet(ReplicaSet set) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into replica_sets (id, project_id, primary_id, wrapped_password,"
                        + " synchronous, auto_failover, failover_after_seconds, max_lag_seconds,"
                        + " endpoint_port, created_at) values (:id, :project, :primary, :password,"
                        + " :synchronous, :auto, :after, :lag, :port, :created)")
                .bind("id", set.id())
                .bind("project", set.projectId())
                .bind("primary", set.primaryId())
                .bind("password", set.wrappedPassword())
                .bind("synchronous", set.synchronous())
                .bind("auto", set.autoFailover())
                .bind("after", set.failoverAfterSeconds())
                .bind("lag", set.maxLagSeconds())
                .bind("port", set.endpointPort())
                .bind("created", Timestamp.from(set.createdAt()))
                .execute());
  }

  @Override
  public Optional<ReplicaSet> findSet(String setId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from replica_sets where id = :id")
                .bind("id", setId)
                .map((rs, ctx) -> set(rs))
                .findOne());
  }

  @Override
  public List<ReplicaSet> sets() {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from replica_sets order by created_at")
                .map((rs, ctx) -> set(rs))
                .list());
  }

  @Override
  public void setPrimary(String setId, String primaryId) {
    update("update replica_sets set primary_id = :v where id = :id", setId, primaryId);
  }

  @Override
  public void setPolicy(
      String setId, boolean autoFailover, int failoverAfterSeconds, int maxLagSeconds) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update replica_sets set auto_failover = :auto, failover_after_seconds ="
                        + " :after, max_lag_seconds = :lag where id = :id")
                .bind("auto", autoFailover)
                .bind("after", failoverAfterSeconds)
                .bind("lag", maxLagSeconds)
                .bind("id", setId)
                .execute());
  }

  @Override
  public void setEndpointPort(String setId, int port) {
    update("update replica_sets set endpoint_port = :v where id = :id", setId, port);
  }

  @Override
  public void deleteSet(String setId) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate("delete from replication_events where set_id = :id")
              .bind("id", setId)
              .execute();
          h.createUpdate("delete from replica_members where set_id = :id")
              .bind("id", setId)
              .execute();
          h.createUpdate("delete from replica_sets where id = :id").bind("id", setId).execute();
        });
  }

  @Override
  public void putMember(String instanceId, String setId, String replicaOf) {
    jdbi.useTransaction(
        h -> {
          int changed =
              h.createUpdate(
                      "update replica_members set set_id = :set, replica_of = :of where"
                          + " instance_id = :id")
                  .bind("set", setId)
                  .bind("of", replicaOf)
                  .bind("id", instanceId)
                  .execute();
          if (changed == 0) {
            h.createUpdate(
                    "insert into replica_members (instance_id, set_id, replica_of, needs_rejoin)"
                        + " values (:id, :set, :of, false)")
                .bind("id", instanceId)
                .bind("set", setId)
                .bind("of", replicaOf)
                .execute();
          }
        });
  }

  @Override
  public Optional<ReplicaMember> findMember(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from replica_members where instance_id = :id")
                .bind("id", instanceId)
                .map((rs, ctx) -> member(rs))
                .findOne());
  }

  @Override
  public List<ReplicaMember> members(String setId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from replica_members where set_id = :id order by instance_id")
                .bind("id", setId)
                .map((rs, ctx) -> member(rs))
                .list());
  }

  @Override
  public void setNeedsRejoin(String instanceId, boolean needsRejoin) {
    update(
        "update replica_members set needs_rejoin = :v where instance_id = :id",
        instanceId,
        needsRejoin);
  }

  @Override
  public void removeMember(String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from replica_members where instance_id = :id")
                .bind("id", instanceId)
                .execute());
  }

  @Override
  public void recordStatus(String instanceId, ReplicationStatus status, Instant at) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update replica_members set role = :role, connected = :connected,"
                        + " lag_seconds = :lag, position = :position, progress = :progress,"
                        + " reported_at = :at where instance_id = :id")
                .bind("role", status.role())
                .bind("connected", status.connected())
                .bind("lag", status.lagSeconds())
                .bind("position", truncate(status.position()))
                .bind("progress", status.progress())
                .bind("at", Timestamp.from(at))
                .bind("id", instanceId)
                .execute());
  }

  @Override
  public void addEvent(ReplicationEvent event) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into replication_events (id, set_id, at, kind, old_primary,"
                        + " new_primary, detail) values (:id, :set, :at, :kind, :old, :new,"
                        + " :detail)")
                .bind("id", event.id())
                .bind("set", event.setId())
                .bind("at", Timestamp.from(event.at()))
                .bind("kind", event.kind())
                .bind("old", event.oldPrimary())
                .bind("new", event.newPrimary())
                .bind("detail", truncate(event.detail()))
                .execute());
  }

  @Override
  public List<ReplicationEvent> events(String setId, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select * from replication_events where set_id = :id order by at desc limit"
                        + " :limit")
                .bind("id", setId)
                .bind("limit", limit)
                .map(
                    (rs, ctx) ->
                        new ReplicationEvent(
                            rs.getString("id"),
                            rs.getString("set_id"),
                            rs.getTimestamp("at").toInstant(),
                            rs.getString("kind"),
                            rs.getString("old_primary"),
                            rs.getString("new_primary"),
                            rs.getString("detail")))
                .list());
  }

  private void update(String sql, String id, Object value) {
    jdbi.useHandle(h -> h.createUpdate(sql).bind("v", value).bind("id", id).execute());
  }

  private static String truncate(String text) {
    return text == null || text.length() <= 2000 ? text : text.substring(0, 2000);
  }

  private static ReplicaSet set(ResultSet rs) throws SQLException {
    int port = rs.getInt("endpoint_port");
    return new ReplicaSet(
        rs.getString("id"),
        rs.getString("project_id"),
        rs.getString("primary_id"),
        rs.getString("wrapped_password"),
        rs.getBoolean("synchronous"),
        rs.getBoolean("auto_failover"),
        rs.getInt("failover_after_seconds"),
        rs.getInt("max_lag_seconds"),
        rs.wasNull() ? null : port,
        rs.getTimestamp("created_at").toInstant());
  }

  private static ReplicaMember member(ResultSet rs) throws SQLException {
    Timestamp at = rs.getTimestamp("reported_at");
    return new ReplicaMember(
        rs.getString("instance_id"),
        rs.getString("set_id"),
        rs.getString("replica_of"),
        rs.getBoolean("needs_rejoin"),
        rs.getString("role"),
        (Boolean) rs.getObject("connected"),
        nullable(rs, rs.getDouble("lag_seconds")),
        rs.getString("position"),
        nullable(rs, rs.getLong("progress")),
        at == null ? null : at.toInstant());
  }

  private static <T> T nullable(ResultSet rs, T value) throws SQLException {
    return rs.wasNull() ? null : value;
  }
}

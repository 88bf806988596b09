package dev.coffer.server.clusters;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** {@link ClusterRepository} on the state store. */
public final class JdbiClusterRepository implements ClusterRepository {
  private static final String COLUMNS =
      "id, project_id, name, datastore_version_id, task, options, wrapped_secret, fault_message,"
          + " created_at, updated_at";

  private final Jdbi jdbi;
  private final ObjectMapper json;

  public JdbiClusterRepository(Jdbi jdbi, ObjectMapper json) {
    this.jdbi = jdbi;
    this.json = json;
  }

  @Override
  public void insert(Cluster cluster) {
    String options;
    try {
      options = json.writeValueAsString(cluster.options());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into clusters ("
                        + COLUMNS
                        + ") values (:id, :project, :name, :version, :task, :options, :secret,"
                        + " :fault, :created, :updated)")
                .bind("id", cluster.id())
                .bind("project", cluster.projectId())
                .bind("name", cluster.name())
                .bind("version", cluster.datastoreVersionId())
                .bind("task", cluster.task().name())
                .bind("options", options)
                .bind("secret", cluster.wrappedSecret())
                .bind("fault", cluster.faultMessage())
                .bind("created", Timestamp.from(cluster.createdAt()))
                .bind("updated", Timestamp.from(cluster.updatedAt()))
                .execute());
  }

  @Override
  public Optional<Cluster> find(String projectId, String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from clusters where id = :id and project_id = :project"
                        + " and deleted_at is null")
                .bind("id", id)
                .bind("project", projectId)
                .map((rs, ctx) -> cluster(rs))
                .findFirst());
  }

  @Override
  public Optional<Cluster> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select " + COLUMNS + " from clusters where id = :id and deleted_at is null")
                .bind("id", id)
                .map((rs, ctx) -> cluster(rs))
                .findFirst());
  }

  @Override
  public List<Cluster> list(String projectId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + COLUMNS
                        + " from clusters where project_id = :project and deleted_at is null"
                        + " order by created_at, id")
                .bind("project", projectId)
                .map((rs, ctx) -> cluster(rs))
                .list());
  }

  @Override
  public void setTask(String id, ClusterTask task, String fault) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update clusters set task = :task, fault_message = :fault, updated_at = :now"
                        + " where id = :id")
                .bind("task", task.name())
                .bind("fault", fault)
                .bind("now", Timestamp.from(Instant.now()))
                .bind("id", id)
                .execute());
  }

  @Override
  public void markDeleted(String id) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update clusters set deleted_at = :now, task = :task, updated_at = :now"
                        + " where id = :id")
                .bind("now", Timestamp.from(Instant.now()))
                .bind("task", ClusterTask.NONE.name())
                .bind("id", id)
                .execute());
  }

  private Cluster cluster(ResultSet rs) throws SQLException {
    Map<String, String> options;
    try {
      options =
          json.readValue(rs.getString("options"), new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable options of cluster " + rs.getString("id"), e);
    }
    return new Cluster(
        rs.getString("id"),
        rs.getString("project_id"),
        rs.getString("name"),
        rs.getString("datastore_version_id"),
        ClusterTask.valueOf(rs.getString("task")),
        options,
        rs.getString("wrapped_secret"),
        rs.getString("fault_message"),
        rs.getTimestamp("created_at").toInstant(),
        rs.getTimestamp("updated_at").toInstant());
  }
}

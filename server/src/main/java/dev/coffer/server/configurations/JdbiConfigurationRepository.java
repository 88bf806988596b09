package dev.coffer.server.configurations;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** {@link ConfigurationRepository} on the state store. */
public final class JdbiConfigurationRepository implements ConfigurationRepository {
  private final Jdbi jdbi;
  private final ObjectMapper json;

  public JdbiConfigurationRepository(Jdbi jdbi, ObjectMapper json) {
    this.jdbi = jdbi;
    this.json = json;
  }

  @Override
  public void insert(ConfigurationGroup g) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into configuration_groups (id, project_id, name, description,"
                        + " datastore_version_id, values_json, created_at, updated_at) values (:id,"
                        + " :project, :name, :description, :version, :values, :created, :updated)")
                .bind("id", g.id())
                .bind("project", g.projectId())
                .bind("name", g.name())
                .bind("description", g.description())
                .bind("version", g.datastoreVersionId())
                .bind("values", write(g.values()))
                .bind("created", Timestamp.from(g.createdAt()))
                .bind("updated", Timestamp.from(g.updatedAt()))
                .execute());
  }

  @Override
  public Optional<ConfigurationGroup> find(String projectId, String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select * from configuration_groups where project_id = :project and id = :id")
                .bind("project", projectId)
                .bind("id", id)
                .map((rs, ctx) -> group(rs))
                .findOne());
  }

  @Override
  public Optional<ConfigurationGroup> find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select * from configuration_groups where id = :id")
                .bind("id", id)
                .map((rs, ctx) -> group(rs))
                .findOne());
  }

  @Override
  public List<ConfigurationGroup> list(String projectId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select * from configuration_groups where project_id = :project order by"
                        + " created_at, id")
                .bind("project", projectId)
                .map((rs, ctx) -> group(rs))
                .list());
  }

  @Override
  public void update(ConfigurationGroup g) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update configuration_groups set name = :name, description = :description,"
                        + " values_json = :values, updated_at = :updated where id = :id")
                .bind("name", g.name())
                .bind("description", g.description())
                .bind("values", write(g.values()))
                .bind("updated", Timestamp.from(g.updatedAt()))
                .bind("id", g.id())
                .execute());
  }

  @Override
  public void delete(String id) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate(
                  "update instance_configurations set configuration_id = null where"
                      + " configuration_id = :id")
              .bind("id", id)
              .execute();
          h.createUpdate("delete from configuration_groups where id = :id")
              .bind("id", id)
              .execute();
        });
  }

  @Override
  public Optional<String> attached(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select configuration_id from instance_configurations where instance_id = :id"
                        + " and configuration_id is not null")
                .bind("id", instanceId)
                .mapTo(String.class)
                .findOne());
  }

  @Override
  public List<String> instancesOf(String groupId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select instance_id from instance_configurations where configuration_id = :id"
                        + " order by instance_id")
                .bind("id", groupId)
                .mapTo(String.class)
                .list());
  }

  @Override
  public void setAttached(String instanceId, String groupId) {
    jdbi.useTransaction(
        h -> {
          int changed =
              h.createUpdate(
                      "update instance_configurations set configuration_id = :group where"
                          + " instance_id = :id")
                  .bind("group", groupId)
                  .bind("id", instanceId)
                  .execute();
          if (changed == 0) {
            h.createUpdate(
                    "insert into instance_configurations (instance_id, configuration_id,"
                        + " restart_pending) values (:id, :group, false)")
                .bind("id", instanceId)
                .bind("group", groupId)
                .execute();
          }
        });
  }

  @Override
  public boolean restartPending(String instanceId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select restart_pending from instance_configurations where instance_id = :id")
                .bind("id", instanceId)
                .mapTo(Boolean.class)
                .findOne()
                .orElse(false));
  }

  @Override
  public void setRestartPending(String instanceId, boolean pending) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "update instance_configurations set restart_pending = :pending where"
                        + " instance_id = :id")
                .bind("pending", pending)
                .bind("id", instanceId)
                .execute());
  }

  @Override
  public void forget(String instanceId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("delete from instance_configurations where instance_id = :id")
                .bind("id", instanceId)
                .execute());
  }

  private ConfigurationGroup group(ResultSet rs) throws SQLException {
    return new ConfigurationGroup(
        rs.getString("id"),
        rs.getString("project_id"),
        rs.getString("name"),
        rs.getString("description"),
        rs.getString("datastore_version_id"),
        read(rs.getString("values_json")),
        rs.getTimestamp("created_at").toInstant(),
        rs.getTimestamp("updated_at").toInstant());
  }

  private String write(Map<String, Object> values) {
    try {
      return json.writeValueAsString(new LinkedHashMap<>(values));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Map<String, Object> read(String text) {
    try {
      Map<String, Object> values = json.readValue(text, new TypeReference<>() {});
      // JSON integers come back as Integer or Long: one type for one kind of value.
      Map<String, Object> normal = new LinkedHashMap<>();
      values.forEach(
          (k, v) ->
              normal.put(
                  k, v instanceof Integer || v instanceof Long ? ((Number) v).longValue() : v));
      return normal;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable configuration values", e);
    }
  }
}

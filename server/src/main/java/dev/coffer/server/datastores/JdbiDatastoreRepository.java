package dev.coffer.server.datastores;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

public final class JdbiDatastoreRepository implements DatastoreRepository {
  private static final ObjectMapper JSON = Json.newMapper();
  private static final String VERSION_SELECT =
      "select v.id, v.datastore_id, d.name as ds_name, v.name, v.full_version, v.binaries, v.state,"
          + " v.installed, v.visibility from datastore_versions v join datastores d on d.id = v.datastore_id";

  private final Jdbi jdbi;

  public JdbiDatastoreRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public List<Datastore> datastores() {
    return jdbi.withHandle(
        h ->
            h.createQuery("select id, name, default_version_id from datastores order by name")
                .map(JdbiDatastoreRepository::datastore)
                .list());
  }

  @Override
  public Optional<Datastore> datastore(String idOrName) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select id, name, default_version_id from datastores where id = ? or name = ?")
                .bind(0, idOrName)
                .bind(1, idOrName)
                .map(JdbiDatastoreRepository::datastore)
                .findFirst());
  }

  @Override
  public Datastore insertDatastore(String name) {
    String id = UUID.randomUUID().toString();
    jdbi.useHandle(
        h ->
            h.createUpdate("insert into datastores (id, name) values (?, ?)")
                .bind(0, id)
                .bind(1, name)
                .execute());
    return new Datastore(id, name, null);
  }

  @Override
  public void setDefaultVersion(String datastoreId, String versionId) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update datastores set default_version_id = ? where id = ?")
                .bind(0, versionId)
                .bind(1, datastoreId)
                .execute());
  }

  @Override
  public List<DatastoreVersion> versions(String datastoreId) {
    return jdbi.withHandle(
        h ->
            h
                .createQuery(VERSION_SELECT + " where v.datastore_id = ? order by v.name")
                .bind(0, datastoreId)
                .map(JdbiDatastoreRepository::version)
                .list()
                .stream()
                .map(v -> withProjects(h, v))
                .toList());
  }

  @Override
  public Optional<DatastoreVersion> version(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(VERSION_SELECT + " where v.id = ?")
                .bind(0, id)
                .map(JdbiDatastoreRepository::version)
                .findFirst()
                .map(v -> withProjects(h, v)));
  }

  @Override
  public DatastoreVersion upsertVersion(
      Datastore datastore,
      String name,
      String fullVersion,
      Map<String, String> binaries,
      boolean installed) {
    String json = toJson(binaries);
    return jdbi.inTransaction(
        h -> {
          Optional<String> existing =
              h.createQuery("select id from datastore_versions where datastore_id = ? and name = ?")
                  .bind(0, datastore.id())
                  .bind(1, name)
                  .mapTo(String.class)
                  .findFirst();
          String id = existing.orElseGet(() -> UUID.randomUUID().toString());
          if (existing.isPresent()) {
            h.createUpdate(
                    "update datastore_versions set full_version = ?, binaries = ?, installed = ? where id = ?")
                .bind(0, fullVersion)
                .bind(1, json)
                .bind(2, installed)
                .bind(3, id)
                .execute();
          } else {
            h.createUpdate(
                    "insert into datastore_versions (id, datastore_id, name, full_version, binaries,"
                        + " state, installed) values (?, ?, ?, ?, ?, ?, ?)")
                .bind(0, id)
                .bind(1, datastore.id())
                .bind(2, name)
                .bind(3, fullVersion)
                .bind(4, json)
                .bind(5, VersionState.ACTIVE.name())
                .bind(6, installed)
                .execute();
          }
          return withProjects(
              h,
              h.createQuery(VERSION_SELECT + " where v.id = ?")
                  .bind(0, id)
                  .map(JdbiDatastoreRepository::version)
                  .one());
        });
  }

  @Override
  public void markAllUninstalled() {
    jdbi.useHandle(
        h -> h.createUpdate("update datastore_versions set installed = false").execute());
  }

  @Override
  public void setState(String versionId, VersionState state) {
    jdbi.useHandle(
        h ->
            h.createUpdate("update datastore_versions set state = ? where id = ?")
                .bind(0, state.name())
                .bind(1, versionId)
                .execute());
  }

  @Override
  public void setVisibility(String versionId, Visibility visibility, Set<String> projects) {
    jdbi.useTransaction(
        h -> {
          h.createUpdate("update datastore_versions set visibility = ? where id = ?")
              .bind(0, visibility.name())
              .bind(1, versionId)
              .execute();
          h.createUpdate("delete from datastore_version_projects where version_id = ?")
              .bind(0, versionId)
              .execute();
          for (String project : projects) {
            h.createUpdate(
                    "insert into datastore_version_projects (version_id, project_id) values (?, ?)")
                .bind(0, versionId)
                .bind(1, project)
                .execute();
          }
        });
  }

  @Override
  public boolean projectExists(String projectId) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select count(*) from projects where id = ?")
                    .bind(0, projectId)
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }

  private static DatastoreVersion withProjects(Handle h, DatastoreVersion v) {
    Set<String> projects =
        new TreeSet<>(
            h.createQuery("select project_id from datastore_version_projects where version_id = ?")
                .bind(0, v.id())
                .mapTo(String.class)
                .list());
    return new DatastoreVersion(
        v.id(),
        v.datastoreId(),
        v.datastoreName(),
        v.name(),
        v.fullVersion(),
        v.binaries(),
        v.state(),
        v.installed(),
        v.visibility(),
        projects);
  }

  private static Datastore datastore(ResultSet rs, StatementContext ctx) throws SQLException {
    return new Datastore(
        rs.getString("id"), rs.getString("name"), rs.getString("default_version_id"));
  }

  private static DatastoreVersion version(ResultSet rs, StatementContext ctx) throws SQLException {
    return new DatastoreVersion(
        rs.getString("id"),
        rs.getString("datastore_id"),
        rs.getString("ds_name"),
        rs.getString("name"),
        rs.getString("full_version"),
        fromJson(rs.getString("binaries")),
        VersionState.valueOf(rs.getString("state")),
        rs.getBoolean("installed"),
        Visibility.valueOf(rs.getString("visibility")),
        Set.of());
  }

  private static String toJson(Map<String, String> map) {
    try {
      return JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> fromJson(String json) {
    try {
      return JSON.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

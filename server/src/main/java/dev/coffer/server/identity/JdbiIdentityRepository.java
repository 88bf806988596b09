package dev.coffer.server.identity;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

public final class JdbiIdentityRepository implements IdentityRepository {
  private final Jdbi jdbi;

  public JdbiIdentityRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public boolean anyUserAccount() {
    return jdbi.withHandle(
        h -> h.createQuery("select count(*) from user_accounts").mapTo(Long.class).one() > 0);
  }

  @Override
  public void insertProject(Project project) {
    jdbi.useHandle(
        h ->
            h.createUpdate("insert into projects (id, name, created_at) values (?, ?, ?)")
                .bind(0, project.id())
                .bind(1, project.name())
                .bind(2, Timestamp.from(project.createdAt()))
                .execute());
  }

  @Override
  public Optional<Project> findProject(String idOrName) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select id, name, created_at from projects where id = ? or name = ?")
                .bind(0, idOrName)
                .bind(1, idOrName)
                .map(JdbiIdentityRepository::project)
                .findFirst());
  }

  @Override
  public List<Project> allProjects() {
    return jdbi.withHandle(
        h ->
            h.createQuery("select id, name, created_at from projects order by name")
                .map(JdbiIdentityRepository::project)
                .list());
  }

  @Override
  public void insertUserAccount(UserAccount account) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into user_accounts (id, name, password_hash, created_at) values (?, ?, ?, ?)")
                .bind(0, account.id())
                .bind(1, account.name())
                .bind(2, account.passwordHash())
                .bind(3, Timestamp.from(Instant.now()))
                .execute());
  }

  @Override
  public Optional<UserAccount> findUserAccount(String name) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select id, name, password_hash from user_accounts where name = ?")
                .bind(0, name)
                .map(JdbiIdentityRepository::account)
                .findFirst());
  }

  @Override
  public Optional<UserAccount> findUserAccountById(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("select id, name, password_hash from user_accounts where id = ?")
                .bind(0, id)
                .map(JdbiIdentityRepository::account)
                .findFirst());
  }

  @Override
  public void insertMembership(String userId, String projectId, Role role) {
    jdbi.useHandle(
        h ->
            h.createUpdate("insert into memberships (user_id, project_id, role) values (?, ?, ?)")
                .bind(0, userId)
                .bind(1, projectId)
                .bind(2, role.name())
                .execute());
  }

  @Override
  public List<Membership> memberships(String userId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select m.user_id, m.role, p.id, p.name, p.created_at from memberships m"
                        + " join projects p on p.id = m.project_id where m.user_id = ? order by p.name")
                .bind(0, userId)
                .map(
                    (rs, ctx) ->
                        new Membership(
                            rs.getString("user_id"),
                            new Project(
                                rs.getString("id"),
                                rs.getString("name"),
                                rs.getTimestamp("created_at").toInstant()),
                            Role.valueOf(rs.getString("role"))))
                .list());
  }

  @Override
  public void insertToken(Token token, String secretHash) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "insert into tokens (id, secret_hash, user_id, project_id, description,"
                        + " created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)")
                .bind(0, token.id())
                .bind(1, secretHash)
                .bind(2, token.userId())
                .bind(3, token.projectId())
                .bind(4, token.description())
                .bind(5, Timestamp.from(token.createdAt()))
                .bind(6, Timestamp.from(token.expiresAt()))
                .execute());
  }

  private static final String TOKEN_COLUMNS =
      "id, user_id, project_id, description, created_at, expires_at, revoked_at";

  @Override
  public Optional<Token> findLiveToken(String secretHash) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + TOKEN_COLUMNS
                        + " from tokens where secret_hash = ? and revoked_at is null and expires_at > ?")
                .bind(0, secretHash)
                .bind(1, Timestamp.from(Instant.now()))
                .map(JdbiIdentityRepository::token)
                .findFirst());
  }

  @Override
  public List<Token> liveTokens(String userId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "select "
                        + TOKEN_COLUMNS
                        + " from tokens where user_id = ? and revoked_at is null and expires_at > ?"
                        + " order by created_at")
                .bind(0, userId)
                .bind(1, Timestamp.from(Instant.now()))
                .map(JdbiIdentityRepository::token)
                .list());
  }

  @Override
  public boolean revokeToken(String userId, String tokenId) {
    return jdbi.withHandle(
        h ->
            h.createUpdate(
                        "update tokens set revoked_at = ? where id = ? and user_id = ? and revoked_at is null")
                    .bind(0, Timestamp.from(Instant.now()))
                    .bind(1, tokenId)
                    .bind(2, userId)
                    .execute()
                > 0);
  }

  private static Token token(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
      throws java.sql.SQLException {
    Timestamp revoked = rs.getTimestamp("revoked_at");
    return new Token(
        rs.getString("id"),
        rs.getString("user_id"),
        rs.getString("project_id"),
        rs.getString("description"),
        rs.getTimestamp("created_at").toInstant(),
        rs.getTimestamp("expires_at").toInstant(),
        revoked == null ? null : revoked.toInstant());
  }

  private static Project project(
      java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
      throws java.sql.SQLException {
    return new Project(
        rs.getString("id"), rs.getString("name"), rs.getTimestamp("created_at").toInstant());
  }

  private static UserAccount account(
      java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
      throws java.sql.SQLException {
    return new UserAccount(rs.getString("id"), rs.getString("name"), rs.getString("password_hash"));
  }
}

package dev.coffer.server.identity;

import dev.coffer.server.http.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Projects, user accounts and tokens: who may call the API and in which project. */
public final class IdentityService {
  private static final Logger log = LoggerFactory.getLogger(IdentityService.class);
  private static final Duration TOKEN_LIFETIME = Duration.ofDays(30);

  private final IdentityRepository repository;

  public IdentityService(IdentityRepository repository) {
    this.repository = repository;
  }

  /** What first start creates; the password and token are shown once and never stored plain. */
  public record BootstrapCredentials(
      String projectId, String projectName, String userName, String password, String token) {
    @Override
    public String toString() {
      return "BootstrapCredentials[project=" + projectId + ", user=" + userName + "]";
    }
  }

  /** A newly issued token: {@code secret} is what the client sends as X-Auth-Token. */
  public record IssuedToken(String secret, Token token, Principal principal) {
    @Override
    public String toString() {
      return "IssuedToken[id=" + token.id() + "]";
    }
  }

  /** On the very first start, creates project {@code admin} and its admin user. */
  public synchronized Optional<BootstrapCredentials> bootstrap() {
    if (repository.anyUserAccount()) {
      return Optional.empty();
    }
    Project project = createProject("admin");
    String password = PasswordHasher.newSecret().substring(0, 20);
    UserAccount admin = createUserAccount("admin", password, project.id(), Role.ADMIN);
    IssuedToken token = issue(admin, project, Role.ADMIN, "created at first start");
    log.info("event=bootstrap project={} user=admin", project.id());
    return Optional.of(
        new BootstrapCredentials(project.id(), project.name(), "admin", password, token.secret()));
  }

  public Project createProject(String name) {
    if (repository.findProject(name).isPresent()) {
      throw new ApiException.Conflict("A project with the name \"" + name + "\" already exists.");
    }
    Project project =
        new Project(UUID.randomUUID().toString().replace("-", ""), name, Instant.now());
    repository.insertProject(project);
    log.info("event=project_created project={} name={}", project.id(), name);
    return project;
  }

  public UserAccount createUserAccount(String name, String password, String projectId, Role role) {
    Project project =
        repository
            .findProject(projectId)
            .orElseThrow(
                () -> new ApiException.NotFound("Project " + projectId + " cannot be found."));
    Optional<UserAccount> existing = repository.findUserAccount(name);
    UserAccount account;
    if (existing.isPresent()) {
      account = existing.get();
      boolean member =
          repository.memberships(account.id()).stream()
              .anyMatch(m -> m.project().id().equals(project.id()));
      if (member) {
        throw new ApiException.Conflict(
            "User \"" + name + "\" is already a member of project " + project.id() + ".");
      }
    } else {
      account =
          new UserAccount(
              UUID.randomUUID().toString().replace("-", ""), name, PasswordHasher.hash(password));
      repository.insertUserAccount(account);
    }
    repository.insertMembership(account.id(), project.id(), role);
    log.info(
        "event=membership_created user={} project={} role={}", name, project.id(), role.wireName());
    return account;
  }

  /** Password login; {@code project} (name or id) defaults to the user's first project. */
  public IssuedToken login(
      String userName, String password, Optional<String> project, Optional<String> description) {
    UserAccount account =
        repository
            .findUserAccount(userName)
            .filter(a -> PasswordHasher.matches(password, a.passwordHash()))
            .orElseThrow(() -> new ApiException.Unauthorized("Invalid user name or password."));
    List<Membership> memberships = repository.memberships(account.id());
    Membership membership =
        memberships.stream()
            .filter(
                m ->
                    project.isEmpty()
                        || m.project().id().equals(project.get())
                        || m.project().name().equals(project.get()))
            .findFirst()
            .orElseThrow(
                () ->
                    new ApiException.Unauthorized(
                        project.isPresent()
                            ? "User "
                                + userName
                                + " is not a member of project "
                                + project.get()
                                + "."
                            : "User " + userName + " is not a member of any project."));
    IssuedToken token =
        issue(account, membership.project(), membership.role(), description.orElse(null));
    log.info("event=login user={} project={}", userName, membership.project().id());
    return token;
  }

  /** A further token for the caller, in the caller's project (for scripts and CI). */
  public IssuedToken issueFor(Principal principal, Optional<String> description) {
    UserAccount account =
        repository
            .findUserAccount(principal.userName())
            .orElseThrow(() -> new ApiException.Unauthorized("The token's user no longer exists."));
    Project project = repository.findProject(principal.projectId()).orElseThrow();
    return issue(account, project, principal.role(), description.orElse(null));
  }

  /**
   * A token for the caller in another of the caller's projects (Keystone's rescoping): how the web
   * console switches projects without asking for the password again.
   */
  public IssuedToken rescope(
      Principal principal, String projectIdOrName, Optional<String> description) {
    UserAccount account =
        repository
            .findUserAccount(principal.userName())
            .orElseThrow(() -> new ApiException.Unauthorized("The token's user no longer exists."));
    Membership membership =
        repository.memberships(account.id()).stream()
            .filter(
                m ->
                    m.project().id().equals(projectIdOrName)
                        || m.project().name().equals(projectIdOrName))
            .findFirst()
            .orElseThrow(
                () ->
                    new ApiException.Forbidden(
                        "User "
                            + principal.userName()
                            + " is not a member of project "
                            + projectIdOrName
                            + "."));
    return issue(account, membership.project(), membership.role(), description.orElse(null));
  }

  private IssuedToken issue(UserAccount account, Project project, Role role, String description) {
    String secret = PasswordHasher.newSecret();
    Instant now = Instant.now();
    Token token =
        new Token(
            UUID.randomUUID().toString(),
            account.id(),
            project.id(),
            description,
            now,
            now.plus(TOKEN_LIFETIME),
            null);
    repository.insertToken(token, PasswordHasher.sha256(secret));
    return new IssuedToken(
        secret,
        token,
        new Principal(
            account.id(), account.name(), project.id(), project.name(), role, token.id()));
  }

  /** The principal for an X-Auth-Token value, or 401. */
  public Principal authenticate(String secret) {
    if (secret == null || secret.isBlank()) {
      throw new ApiException.Unauthorized(
          "Authentication required: send a token in the X-Auth-Token header.");
    }
    Token token =
        repository
            .findLiveToken(PasswordHasher.sha256(secret.strip()))
            .orElseThrow(
                () -> new ApiException.Unauthorized("The token is invalid, expired or revoked."));
    for (Membership m : repository.memberships(token.userId())) {
      if (m.project().id().equals(token.projectId())) {
        UserAccount account = accountById(token.userId());
        return new Principal(
            token.userId(),
            account.name(),
            m.project().id(),
            m.project().name(),
            m.role(),
            token.id());
      }
    }
    throw new ApiException.Unauthorized("The token's project membership no longer exists.");
  }

  private UserAccount accountById(String userId) {
    return repository
        .findUserAccountById(userId)
        .orElseThrow(() -> new ApiException.Unauthorized("The token's user no longer exists."));
  }

  public List<Token> tokens(Principal principal) {
    return repository.liveTokens(principal.userId());
  }

  public void revoke(Principal principal, String tokenId) {
    if (!repository.revokeToken(principal.userId(), tokenId)) {
      throw new ApiException.NotFound("Token " + tokenId + " cannot be found.");
    }
    log.info("event=token_revoked user={} token={}", principal.userName(), tokenId);
  }

  public List<Membership> memberships(Principal principal) {
    return repository.memberships(principal.userId());
  }

  public List<Project> allProjects() {
    return repository.allProjects();
  }

  public Optional<Project> project(String idOrName) {
    return repository.findProject(idOrName);
  }
}

package dev.coffer.server.identity;

import java.util.List;
import java.util.Optional;

/** Storage of projects, user accounts, memberships and tokens. */
public interface IdentityRepository {
  boolean anyUserAccount();

  void insertProject(Project project);

  Optional<Project> findProject(String idOrName);

  List<Project> allProjects();

  void insertUserAccount(UserAccount account);

  Optional<UserAccount> findUserAccount(String name);

  Optional<UserAccount> findUserAccountById(String id);

  void insertMembership(String userId, String projectId, Role role);

  List<Membership> memberships(String userId);

  void insertToken(Token token, String secretHash);

  /** A token that is neither revoked nor expired. */
  Optional<Token> findLiveToken(String secretHash);

  List<Token> liveTokens(String userId);

  boolean revokeToken(String userId, String tokenId);
}

package dev.coffer.server.identity;

/** Who is calling, established from a token: a user acting in one project with one role. */
public record Principal(
    String userId,
    String userName,
    String projectId,
    String projectName,
    Role role,
    String tokenId) {
  public boolean isAdmin() {
    return role == Role.ADMIN;
  }
}

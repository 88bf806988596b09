package dev.coffer.server.identity;

/** What a user may do in one project. */
public enum Role {
  /** Everything, in every project: manages projects, users, the datastore catalog. */
  ADMIN,
  /** Everything on the project's own objects. */
  MEMBER;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static java.util.Optional<Role> parse(String value) {
    for (Role role : values()) {
      if (role.wireName().equals(value)) {
        return java.util.Optional.of(role);
      }
    }
    return java.util.Optional.empty();
  }
}

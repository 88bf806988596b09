package dev.coffer.api.agent;

/** Changes to a user; a null field is left as it is. */
public record UserUpdate(UserRef user, String newName, String newHost, String newPassword) {
  @Override
  public String toString() {
    return "UserUpdate[user=%s, newName=%s, newHost=%s, password=%s]"
        .formatted(user, newName, newHost, newPassword == null ? "unchanged" : "***");
  }
}

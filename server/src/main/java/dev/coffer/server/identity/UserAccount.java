package dev.coffer.server.identity;

/** A person or robot that logs in to Coffer (not a database user). */
public record UserAccount(String id, String name, String passwordHash) {
  @Override
  public String toString() {
    return "UserAccount[id=" + id + ", name=" + name + "]";
  }
}

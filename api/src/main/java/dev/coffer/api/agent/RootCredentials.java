package dev.coffer.api.agent;

/** The engine's superuser name and its (new) password, returned once. */
public record RootCredentials(String name, String password) {
  @Override
  public String toString() {
    return "RootCredentials[name=" + name + ", password=***]";
  }
}

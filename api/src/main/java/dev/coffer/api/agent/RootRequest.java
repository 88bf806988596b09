package dev.coffer.api.agent;

/** Enable root; a null password means the agent generates one. */
public record RootRequest(String password) {
  @Override
  public String toString() {
    return "RootRequest[password=" + (password == null ? "generated" : "***") + "]";
  }
}

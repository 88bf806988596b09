package dev.coffer.api.agent;

/** Identifies a user: name plus host pattern ({@code %} for any host). */
public record UserRef(String name, String host) {
  public UserRef {
    if (host == null || host.isEmpty()) {
      host = "%";
    }
  }
}

package dev.coffer.api.agent;

import java.util.List;

/** A user to create, with the databases it may use. {@code host} defaults to {@code %}. */
public record UserSpec(String name, String host, String password, List<String> databases) {
  public UserSpec {
    host = host == null || host.isEmpty() ? "%" : host;
    databases = databases == null ? List.of() : List.copyOf(databases);
  }

  public UserRef ref() {
    return new UserRef(name, host);
  }

  @Override
  public String toString() {
    return "UserSpec[name=%s, host=%s, databases=%s]".formatted(name, host, databases);
  }
}

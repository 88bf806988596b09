package dev.coffer.api.agent;

import java.util.List;

/** Initial databases and users to create once the engine runs. */
public record PrepareRequest(List<DatabaseSpec> databases, List<UserSpec> users) {
  public PrepareRequest {
    databases = databases == null ? List.of() : List.copyOf(databases);
    users = users == null ? List.of() : List.copyOf(users);
  }
}

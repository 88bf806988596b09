package dev.coffer.api.agent;

/**
 * The account a replica uses to connect to its source. The control plane generates the password
 * once per replication set; it travels only inside commands.
 *
 * @param user the engine's replication account (a reserved name, such as {@code os_repl})
 */
public record ReplicationCredentials(String user, String password) {
  @Override
  public String toString() {
    return "ReplicationCredentials[user=" + user + "]";
  }
}

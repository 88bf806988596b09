package dev.coffer.server.quotas;

import java.util.Arrays;
import java.util.Optional;

/** What a project's quota limits, by Trove's resource names (plus {@code clusters}). */
public enum Resource {
  /** Live instances, cluster members and replicas included. */
  INSTANCES("instances"),
  /** The sum of live instances' volume sizes, in GB. */
  VOLUMES("volumes"),
  /** Backups that are not deleted, whatever their status. */
  BACKUPS("backups"),
  /** Live clusters. */
  CLUSTERS("clusters");

  private final String wireName;

  Resource(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<Resource> byWireName(String name) {
    return Arrays.stream(values()).filter(r -> r.wireName.equals(name)).findFirst();
  }
}

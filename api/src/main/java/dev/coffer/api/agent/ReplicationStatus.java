package dev.coffer.api.agent;

/**
 * An engine's replication state, as its agent sees it.
 *
 * @param role {@code PRIMARY} (accepts writes), {@code REPLICA} or {@code FENCED} (refuses writes
 *     and replicates from nobody)
 * @param sourceHost the source a replica follows; null otherwise
 * @param connected whether a replica's link to its source is up
 * @param lagSeconds how far a replica is behind its source; null if unknown or not a replica
 * @param position the engine's replication position in a form comparable between members of one set
 *     by {@link #compareTo}-like rules of its engine (for example an LSN, a GTID list, an offset);
 *     used to pick the most advanced replica
 */
public record ReplicationStatus(
    String role, String sourceHost, boolean connected, Double lagSeconds, String position) {
  public static final String PRIMARY = "PRIMARY";
  public static final String REPLICA = "REPLICA";
  public static final String FENCED = "FENCED";
}

package dev.coffer.api.agent;

/**
 * An engine's replication state, as its agent sees it.
 *
 * @param role {@code PRIMARY} (accepts writes), {@code REPLICA} or {@code FENCED} (refuses writes
 *     and replicates from nobody)
 * @param sourceHost the source a replica follows; null otherwise
 * @param connected whether a replica's link to its source is up
 * @param lagSeconds how far a replica is behind its source; null if unknown or not a replica
 * @param position the engine's own spelling of its replication position, for people (an LSN, a GTID
 *     list, an offset)
 * @param progress the same position as a number that only grows across one replication set, also
 *     after a switchover (PostgreSQL: the LSN; MariaDB: the GTID sequence number; Redis: the
 *     replication offset): the control plane compares members by it without knowing the engine, to
 *     pick the most advanced replica and to tell when a replica has caught up
 */
public record ReplicationStatus(
    String role,
    String sourceHost,
    boolean connected,
    Double lagSeconds,
    String position,
    long progress) {
  public static final String PRIMARY = "PRIMARY";
  public static final String REPLICA = "REPLICA";
  public static final String FENCED = "FENCED";
}

package dev.coffer.server.replication;

import java.time.Instant;

/**
 * An instance in a replication set, with what its agent last reported.
 *
 * @param replicaOf the instance it replicates from; null for the primary
 * @param needsRejoin a former primary that was ejected while unreachable: when its agent answers
 *     again it is fenced and made a replica of the current primary
 * @param role PRIMARY, REPLICA or FENCED as the engine last said; null before its first report
 * @param progress a number that only grows across the set (see the agent's ReplicationStatus)
 */
public record ReplicaMember(
    String instanceId,
    String setId,
    String replicaOf,
    boolean needsRejoin,
    String role,
    Boolean connected,
    Double lagSeconds,
    String position,
    Long progress,
    Instant reportedAt) {}

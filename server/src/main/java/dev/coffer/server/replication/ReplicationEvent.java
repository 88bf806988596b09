package dev.coffer.server.replication;

import java.time.Instant;

/** One change of a set's topology: switchover, failover, eject, detach or rejoin. */
public record ReplicationEvent(
    String id,
    String setId,
    Instant at,
    String kind,
    String oldPrimary,
    String newPrimary,
    String detail) {}

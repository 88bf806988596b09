package dev.coffer.api.agent;

/**
 * Payload of {@link CommandType#PREPARE_SOURCE}: make the source ready to serve one more replica.
 *
 * @param credentials the replication account the replica will use
 * @param replicaId the new replica's instance id (engines may name slots after it)
 * @param synchronous whether the set commits synchronously (see {@link ReplicaSetup#synchronous})
 */
public record SourceRequest(
    ReplicationCredentials credentials, String replicaId, boolean synchronous) {}

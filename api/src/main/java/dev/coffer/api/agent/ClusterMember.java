package dev.coffer.api.agent;

/**
 * One instance of a cluster as its peers see it: the engine's address and client port. Engines
 * derive their other ports from these (Redis's cluster bus at {@code port + 10000}, Galera's
 * replication port, Cassandra's storage port on the member's own address).
 */
public record ClusterMember(String instanceId, String address, int port) {}

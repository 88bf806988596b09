package dev.coffer.api.agent;

/**
 * What every engine reports about its load with each heartbeat, in the same terms for every
 * datastore, so that one set of metric names and alert rules fits them all. Replication lag is not
 * here: it travels in {@link ReplicationStatus}.
 *
 * @param connections client connections open now (MariaDB {@code Threads_connected}, PostgreSQL
 *     backends, Redis {@code connected_clients})
 * @param operationsTotal statements, transactions or commands served since the engine started; a
 *     counter that only grows until the engine restarts (MariaDB {@code Questions}, PostgreSQL
 *     commits and rollbacks, Redis {@code total_commands_processed})
 */
public record EngineMetrics(long connections, long operationsTotal) {}

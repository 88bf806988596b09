package dev.coffer.server.flavors;

/**
 * A size of instance. {@code ramMb} becomes the engine's memory budget (buffer pool,
 * shared_buffers, maxmemory); {@code diskGb} is the largest volume the flavor suggests.
 */
public record Flavor(String id, String name, int ramMb, int vcpus, int diskGb) {}

package dev.coffer.server.capacity;

import java.time.Instant;

/** How many bytes an instance's data used at one moment. */
public record VolumeSample(String instanceId, Instant at, long usedBytes) {}

package dev.coffer.server.identity;

import java.time.Instant;

public record Project(String id, String name, Instant createdAt) {}

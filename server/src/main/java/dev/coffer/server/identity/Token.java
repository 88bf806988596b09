package dev.coffer.server.identity;

import java.time.Instant;

/** A stored token: only the SHA-256 of its secret is kept. */
public record Token(
    String id,
    String userId,
    String projectId,
    String description,
    Instant createdAt,
    Instant expiresAt,
    Instant revokedAt) {}

package dev.coffer.server.audit;

import java.time.Instant;

/**
 * One change a caller asked for, as the audit log keeps it: who, where, what, on which object, with
 * what outcome. Never a request body, so never a password, token or key.
 *
 * @param userId empty when the caller could not be identified (a failed login, a bad token)
 * @param userName the caller's name, or for a failed login the name that was tried
 * @param action a name such as {@code instance.create}, or the route template where there is none
 * @param route the method's route template, e.g. {@code /v1.0/{project_id}/instances/{id}}
 * @param targetId the object acted on (the last id in the path, or the id a create returned)
 * @param outcome the HTTP status answered
 */
public record AuditEntry(
    String id,
    Instant at,
    String requestId,
    String userId,
    String userName,
    String projectId,
    String action,
    String method,
    String route,
    String targetId,
    int outcome,
    String remoteAddress) {}

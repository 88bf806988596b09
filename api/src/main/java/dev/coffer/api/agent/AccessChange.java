package dev.coffer.api.agent;

import java.util.List;

/** Databases to grant to, or revoke from, a user. */
public record AccessChange(UserRef user, List<String> databases) {}

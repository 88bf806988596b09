package dev.coffer.server.identity;

public record Membership(String userId, Project project, Role role) {}

package dev.coffer.server.datastores;

public record Datastore(String id, String name, String defaultVersionId) {}

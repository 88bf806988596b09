package dev.coffer.server.instances;

/** The payload of a flavor resize task: where it comes from, so that a failure can go back. */
public record FlavorChange(String fromFlavorId, String toFlavorId) {}

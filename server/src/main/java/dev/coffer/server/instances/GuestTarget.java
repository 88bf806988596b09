package dev.coffer.server.instances;

import dev.coffer.api.datastores.DatastoreDescriptor;

/** An instance ready for user, database or root calls, with its datastore's declared rules. */
public record GuestTarget(Instance instance, DatastoreDescriptor datastore) {}

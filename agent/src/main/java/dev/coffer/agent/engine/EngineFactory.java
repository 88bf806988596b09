package dev.coffer.agent.engine;

import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import java.util.List;

/** One per datastore: declares it, finds it on this machine, and creates engines. */
public interface EngineFactory {

  DatastoreDescriptor descriptor();

  /** The versions of this datastore installed on this machine; empty if none. Never throws. */
  List<InstalledVersion> discover();

  Engine create(EngineContext context);
}

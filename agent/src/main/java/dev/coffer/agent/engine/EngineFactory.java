package dev.coffer.agent.engine;

import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import dev.coffer.api.datastores.ParameterSpec;
import java.util.List;

/** One per datastore: declares it, finds it on this machine, and creates engines. */
public interface EngineFactory {

  DatastoreDescriptor descriptor();

  /** The versions of this datastore installed on this machine; empty if none. Never throws. */
  List<InstalledVersion> discover();

  Engine create(EngineContext context);

  /**
   * The tunable parameters of a version of this datastore (the configuration group catalog), the
   * commonly tuned ones with their types, ranges and whether a change needs a restart. Empty for a
   * datastore without {@link dev.coffer.api.datastores.Capability#CONFIGURATION}.
   */
  default List<ParameterSpec> parameters(String version) {
    return List.of();
  }
}

package dev.coffer.agent.engine;

import dev.coffer.api.datastores.DatastoreDescriptor;
import dev.coffer.api.datastores.InstalledVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Every engine this build knows. Engines register themselves in {@code
 * META-INF/services/dev.coffer.agent.engine.EngineFactory}, so adding an engine never edits this
 * class.
 */
public final class EngineCatalog {
  private final Map<String, EngineFactory> factories;

  private EngineCatalog(Map<String, EngineFactory> factories) {
    this.factories = factories;
  }

  public static EngineCatalog load() {
    Map<String, EngineFactory> byName = new TreeMap<>();
    for (EngineFactory factory : ServiceLoader.load(EngineFactory.class)) {
      byName.put(factory.descriptor().name(), factory);
    }
    return new EngineCatalog(byName);
  }

  public Optional<EngineFactory> factory(String datastore) {
    return Optional.ofNullable(factories.get(datastore));
  }

  public List<DatastoreDescriptor> descriptors() {
    return factories.values().stream().map(EngineFactory::descriptor).toList();
  }

  /** Every installed version of every known datastore. */
  public List<InstalledVersion> discover() {
    List<InstalledVersion> all = new ArrayList<>();
    factories.values().forEach(f -> all.addAll(f.discover()));
    return all;
  }
}

package dev.coffer.agent.engine;

import java.util.Map;
import java.util.Set;

/**
 * Optional engine capability: configuration groups. An {@link Engine} whose factory lists
 * parameters ({@link EngineFactory#parameters}) also implements this interface; the agent checks
 * with {@code instanceof}. How a value is written (an included option file, {@code ALTER SYSTEM},
 * {@code CONFIG SET}) stays in the engine's package.
 */
public interface ConfigurableEngine {

  /**
   * Makes {@code values} the engine's whole configuration group: names come from the catalog and
   * values were validated against it by the control plane; a catalog parameter absent from the map
   * goes back to its default (the flavor-derived one included). The values are persisted so that
   * every later start uses them; those the running engine can take live are applied at once.
   * Returns the names whose new value needs a restart to take effect. Idempotent; an engine that
   * refuses a value leaves its previous configuration in place and throws.
   */
  Set<String> applyConfiguration(Map<String, String> values);

  /**
   * The values the running engine itself reports for these names ({@code SHOW VARIABLES}, {@code
   * SHOW}, {@code CONFIG GET}), in the catalog's units. Unknown names are left out.
   */
  Map<String, String> currentConfiguration(Set<String> names);
}

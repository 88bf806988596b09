package dev.coffer.api.datastores;

import java.util.List;

/**
 * One tunable engine parameter, as Trove's {@code GET /datastores/{ds}/versions/{v}/parameters}
 * lists it. The control plane validates values against it before any command reaches an agent.
 *
 * @param name the engine's own name (for example {@code innodb_buffer_pool_size}, {@code work_mem},
 *     {@code maxmemory-policy})
 * @param type Trove's type: {@code integer}, {@code float}, {@code boolean} or {@code string}
 * @param min smallest accepted value of an integer or float; null if unbounded
 * @param max largest accepted value of an integer or float; null if unbounded
 * @param allowed the only accepted values of a string parameter (an enumeration); empty if any
 *     string matching the engine's syntax is accepted
 * @param restartRequired whether a new value takes effect only after the engine restarts
 * @param unit what an integer counts, such as {@code bytes}, {@code kB}, {@code ms}, {@code s}, or
 *     empty
 * @param flavorDefault how the default follows the flavor (for example "50% of the flavor's RAM"),
 *     or empty when the default is the engine's own
 * @param description one line for people
 */
public record ParameterSpec(
    String name,
    String type,
    Double min,
    Double max,
    List<String> allowed,
    boolean restartRequired,
    String unit,
    String flavorDefault,
    String description) {
  public static final String INTEGER = "integer";
  public static final String FLOAT = "float";
  public static final String BOOLEAN = "boolean";
  public static final String STRING = "string";

  public ParameterSpec {
    allowed = allowed == null ? List.of() : List.copyOf(allowed);
    unit = unit == null ? "" : unit;
    flavorDefault = flavorDefault == null ? "" : flavorDefault;
  }
}

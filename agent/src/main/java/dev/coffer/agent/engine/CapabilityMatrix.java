package dev.coffer.agent.engine;

import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.DatastoreDescriptor;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The table of which datastore can do what, made from the engines' own declarations; the operator
 * guide shows it, and a test keeps that copy equal to this one.
 */
public final class CapabilityMatrix {
  private CapabilityMatrix() {}

  /** A Markdown table: one row per datastore, one column per capability. */
  public static String markdown(List<DatastoreDescriptor> descriptors) {
    StringBuilder table = new StringBuilder("| datastore | port |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (Capability capability : Capability.values()) {
      table.append(' ').append(label(capability)).append(" |");
      rule.append(":-:|");
    }
    table.append('\n').append(rule).append('\n');
    descriptors.stream()
        .sorted(Comparator.comparing(DatastoreDescriptor::name))
        .forEach(
            d -> {
              table
                  .append("| ")
                  .append(d.name())
                  .append(" | ")
                  .append(d.defaultPort())
                  .append(" |");
              for (Capability capability : Capability.values()) {
                table.append(d.supports(capability) ? " ✓ |" : " – |");
              }
              table.append('\n');
            });
    return table.toString();
  }

  static String label(Capability capability) {
    return capability.name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }
}

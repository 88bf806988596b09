package dev.coffer.server.flavors;

import java.util.List;
import java.util.Optional;

/**
 * The built-in flavors. Sized for engines that share one machine: each one's RAM is what the
 * engine's memory settings are derived from, not memory reserved up front.
 */
public final class FlavorCatalog {
  private final List<Flavor> flavors =
      List.of(
          new Flavor("1", "m1.tiny", 256, 1, 1),
          new Flavor("2", "m1.small", 512, 1, 5),
          new Flavor("3", "m1.medium", 1024, 2, 10),
          new Flavor("4", "m1.large", 2048, 2, 20),
          new Flavor("5", "m1.xlarge", 4096, 4, 40));

  public List<Flavor> all() {
    return flavors;
  }

  public Optional<Flavor> byId(String id) {
    return flavors.stream().filter(f -> f.id().equals(id)).findFirst();
  }

  /** By id, by name, or by a link ending in the id (older clients send a URL). */
  public Optional<Flavor> resolve(String reference) {
    String ref = reference.substring(reference.lastIndexOf('/') + 1);
    return byId(ref).or(() -> flavors.stream().filter(f -> f.name().equals(ref)).findFirst());
  }
}

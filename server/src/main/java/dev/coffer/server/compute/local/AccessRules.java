package dev.coffer.server.compute.local;

import dev.coffer.agent.process.OsProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trove's {@code allowed_cidrs} on the local driver: one nftables table per instance that resets
 * TCP connections to the engine's address and port from any other source. The host's own loopback
 * address is always let in: the agent, the replicas and the primary endpoint connect from it. Needs
 * root and the {@code nft} tool; without them the instance refuses a restriction rather than
 * pretending to enforce it.
 */
final class AccessRules {
  private static final Logger log = LoggerFactory.getLogger(AccessRules.class);

  /** Sources every instance accepts: this host itself. */
  static final String HOST = "127.0.0.1/32";

  private final Optional<Path> nft;

  AccessRules() {
    this.nft = findNft();
  }

  boolean available() {
    return nft.isPresent();
  }

  /**
   * Installs (or replaces, atomically) the instance's rules; an empty list removes them, so any
   * source may connect.
   */
  void apply(String instanceId, String address, int port, List<String> cidrs) {
    if (cidrs.isEmpty()) {
      remove(instanceId);
      return;
    }
    if (nft.isEmpty()) {
      throw new IllegalStateException(
          "allowed_cidrs cannot be enforced on this host: it needs the nft tool (apt-get install"
              + " nftables) and a Coffer running as root");
    }
    // Local instances listen on IPv4 loopback addresses: IPv6 networks can match no client.
    List<String> allowed = new ArrayList<>(List.of(HOST, address + "/32"));
    cidrs.stream().filter(c -> !c.contains(":")).forEach(allowed::add);
    String table = table(instanceId);
    // One transaction: the old rules go and the new ones come in the same instant.
    String script =
        "table inet "
            + table
            + "\n"
            + "delete table inet "
            + table
            + "\n"
            + "table inet "
            + table
            + " {\n"
            + "  chain input {\n"
            + "    type filter hook input priority 0; policy accept;\n"
            + "    ip daddr "
            + address
            + " tcp dport "
            + port
            + " ip saddr != { "
            + String.join(", ", allowed)
            + " } reject with tcp reset\n"
            + "  }\n"
            + "}\n";
    run(List.of(nft.get().toString(), "-f", "-"), script);
    log.info(
        "event=access_rules_applied instance={} address={}:{} allowed={}",
        instanceId,
        address,
        port,
        cidrs);
  }

  /** Removes the instance's rules, if any. */
  void remove(String instanceId) {
    if (nft.isEmpty()) {
      return;
    }
    String table = table(instanceId);
    // "table" first makes the delete succeed whether or not it existed.
    run(
        List.of(nft.get().toString(), "-f", "-"),
        "table inet " + table + "\ndelete table inet " + table + "\n");
  }

  /** The instance's nftables table, named so that operators can tell it is Coffer's. */
  static String table(String instanceId) {
    return "coffer_" + instanceId.replace("-", "");
  }

  private static void run(List<String> command, String stdin) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException("nft refused the access rules: " + output.strip());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run nft: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running nft", e);
    }
  }

  private static Optional<Path> findNft() {
    if (!OsProcesses.isRoot()) {
      return Optional.empty();
    }
    for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
      Path candidate = Path.of(dir, "nft");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}

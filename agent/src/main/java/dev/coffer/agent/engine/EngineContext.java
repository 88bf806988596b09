package dev.coffer.agent.engine;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how one engine runs.
 *
 * @param dataDir engine data files ({@code <instanceDir>/data}), owned by the run-as user
 * @param runDir sockets and pid files ({@code <instanceDir>/run}), owned by the run-as user
 * @param logDir engine logs ({@code <instanceDir>/log}), owned by the run-as user
 * @param agentDir files only the agent reads, such as the admin password ({@code
 *     <instanceDir>/agent}, mode 0700)
 * @param memoryMb the flavor's RAM; engines derive their memory settings from it
 * @param runAsUser OS user to run the engine as (when the agent is root), else empty
 * @param binaries executables found at discovery, by role
 */
public record EngineContext(
    String instanceId,
    String bindAddress,
    int port,
    Path instanceDir,
    Path dataDir,
    Path runDir,
    Path logDir,
    Path agentDir,
    int memoryMb,
    Optional<String> runAsUser,
    Map<String, String> binaries) {

  public static EngineContext of(
      String instanceId,
      String bindAddress,
      int port,
      Path instanceDir,
      int memoryMb,
      Optional<String> runAsUser,
      Map<String, String> binaries) {
    return new EngineContext(
        instanceId,
        bindAddress,
        port,
        instanceDir,
        instanceDir.resolve("data"),
        instanceDir.resolve("run"),
        instanceDir.resolve("log"),
        instanceDir.resolve("agent"),
        memoryMb,
        runAsUser,
        Map.copyOf(binaries));
  }

  public String binary(String role) {
    String path = binaries.get(role);
    if (path == null) {
      throw EngineException.failure("no '" + role + "' executable registered for this engine");
    }
    return path;
  }
}

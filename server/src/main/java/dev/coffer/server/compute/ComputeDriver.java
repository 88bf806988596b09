package dev.coffer.server.compute;

import java.util.Set;

/**
 * Runs instances somewhere: local processes by default, Kubernetes later. Every method is
 * idempotent, because tasks that call it are retried after crashes.
 */
public interface ComputeDriver {

  /** Creates what is missing (files, volume, agent process) and returns where it runs. */
  Placement ensureRunning(InstanceLaunch launch);

  boolean isAgentRunning(String instanceId);

  /** Stops every process of the instance; keeps its files. */
  void stop(String instanceId);

  /**
   * Grows the instance's volume to {@code sizeGb}, online where possible, else with its processes
   * stopped (the caller then places the instance again). Never shrinks.
   */
  void growVolume(String instanceId, int sizeGb);

  /**
   * Lets only clients from {@code launch.allowedCidrs()} (and the host itself) connect to the
   * engine; an empty list lets everyone. Takes effect at once, for new connections.
   */
  void applyAccess(InstanceLaunch launch);

  /** Whether {@link #applyAccess} can restrict anything on this compute. */
  boolean enforcesAccess();

  /** Stops every process and removes every file and volume of the instance. */
  void destroy(String instanceId);

  /** Ids of the instances that have anything on this compute (for orphan detection). */
  Set<String> presentInstances();

  /** True if no process, directory or volume of the instance remains. */
  boolean isGone(String instanceId);
}

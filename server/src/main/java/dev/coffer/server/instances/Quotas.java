package dev.coffer.server.instances;

/**
 * Per-project limits (Trove's defaults) and the largest single volume. Operator settings; richer
 * per-project quotas come with the governance work.
 */
public record Quotas(int maxInstances, int maxVolumeGb, int maxVolumeSizeGb) {
  public static Quotas defaults() {
    return new Quotas(10, 40, 10);
  }
}

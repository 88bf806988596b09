package dev.coffer.server.instances;

/**
 * The largest single volume (Trove's {@code max_accepted_volume_size}). Per-project limits are
 * {@link dev.coffer.server.quotas.ProjectQuotas}.
 */
public record Quotas(int maxVolumeSizeGb) {
  public static Quotas defaults() {
    return new Quotas(10);
  }
}

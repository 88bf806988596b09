package dev.coffer.server.replication;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which replica a failover promotes: among those that answered, the one holding the most of the
 * primary's changes (the highest progress), except that a replica further behind than the set's lag
 * limit is never chosen (0 means no limit): promoting it would lose more than the operator accepts.
 * Ties go to the first candidate, so a repeated choice is the same.
 */
final class PromotionChoice {
  private PromotionChoice() {}

  /**
   * @param lagSeconds the larger of the lag the replica reported last while the primary was alive
   *     and the lag it reports now; null if it never knew
   */
  record Candidate(String instanceId, long progress, Double lagSeconds) {}

  static Optional<Candidate> best(List<Candidate> candidates, int maxLagSeconds) {
    return candidates.stream()
        .filter(
            c -> maxLagSeconds == 0 || c.lagSeconds() == null || c.lagSeconds() <= maxLagSeconds)
        .max(
            Comparator.comparingLong(Candidate::progress)
                .thenComparing(c -> -candidates.indexOf(c)));
  }
}

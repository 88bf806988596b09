package dev.coffer.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.server.replication.PromotionChoice.Candidate;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromotionChoiceTest {
  @Test
  void theReplicaHoldingTheMostChangesIsPromoted() {
    assertThat(
            PromotionChoice.best(
                List.of(new Candidate("a", 100, 0.0), new Candidate("b", 250, 0.5)), 30))
        .map(Candidate::instanceId)
        .hasValue("b");
  }

  @Test
  void aReplicaFurtherBehindThanTheLimitIsNeverPromotedEvenIfItIsTheMostAdvanced() {
    assertThat(
            PromotionChoice.best(
                List.of(new Candidate("a", 100, 2.0), new Candidate("b", 250, 45.0)), 30))
        .map(Candidate::instanceId)
        .hasValue("a");
    assertThat(PromotionChoice.best(List.of(new Candidate("b", 250, 45.0)), 30)).isEmpty();
  }

  @Test
  void aLimitOfZeroAcceptsAnyLagAndAnUnknownLagIsNoReasonToRefuse() {
    assertThat(PromotionChoice.best(List.of(new Candidate("b", 250, 4000.0)), 0))
        .map(Candidate::instanceId)
        .hasValue("b");
    assertThat(PromotionChoice.best(List.of(new Candidate("c", 10, null)), 30))
        .map(Candidate::instanceId)
        .hasValue("c");
  }

  @Test
  void equalProgressGoesToTheFirstCandidateSoARepeatedChoiceIsTheSame() {
    List<Candidate> tied = List.of(new Candidate("a", 7, 0.0), new Candidate("b", 7, 0.0));
    assertThat(PromotionChoice.best(tied, 30)).map(Candidate::instanceId).hasValue("a");
  }

  @Test
  void nobodyAnsweredMeansNoChoice() {
    assertThat(PromotionChoice.best(List.of(), 30)).isEmpty();
  }
}

package dev.coffer.server.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forecast's arithmetic: least-squares growth per day, days until full, projected use. */
class ForecastTest {
  static final long GIB = 1L << 30;
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static List<VolumeSample> daily(long... used) {
    List<VolumeSample> out = new ArrayList<>();
    for (int d = 0; d < used.length; d++) {
      out.add(new VolumeSample("i", T0.plus(Duration.ofDays(d)), used[d]));
    }
    return out;
  }

  @Test
  void steadyGrowthGivesItsRateAndTheDaysLeftUntilTheVolumeIsFull() {
    long mib = 1L << 20;
    Forecast f = Forecast.of(GIB, null, daily(100 * mib, 110 * mib, 120 * mib, 130 * mib));

    assertThat(f.growthBytesPerDay().getAsDouble()).isCloseTo(10.0 * mib, within(1.0));
    assertThat(f.usedBytes()).isEqualTo(130 * mib);
    assertThat(f.daysUntilFull().getAsDouble()).isCloseTo((1024 - 130) / 10.0, within(1e-6));
    assertThat(f.projectedUsedBytes(30)).isEqualTo(130 * mib + 300 * mib);
    assertThat(f.usedPercent()).isCloseTo(130 * 100.0 / 1024, within(1e-9));
  }

  @Test
  void noisySamplesGiveTheLeastSquaresSlope() {
    // y = 1000 + 100 d, with +-50 of noise that cancels out in the fit
    Forecast f = Forecast.of(GIB, null, daily(1050, 1050, 1250, 1250));
    // x mean 1.5, y mean 1150; slope = sum(dx*dy)/sum(dx^2) = (-1.5*-100 -0.5*-100 +0.5*100
    // +1.5*100)/5 = 80
    assertThat(f.growthBytesPerDay().getAsDouble()).isCloseTo(80.0, within(1e-9));
  }

  @Test
  void aShrinkingOrFlatVolumeIsNeverForecastToFill() {
    Forecast shrinking = Forecast.of(GIB, null, daily(500, 400, 300));
    assertThat(shrinking.growthBytesPerDay().getAsDouble()).isCloseTo(-100.0, within(1e-9));
    assertThat(shrinking.daysUntilFull()).isEmpty();
    assertThat(shrinking.projectedUsedBytes(90)).as("keeps what it uses").isEqualTo(300);

    Forecast flat = Forecast.of(GIB, null, daily(500, 500));
    assertThat(flat.daysUntilFull()).isEmpty();
  }

  @Test
  void tooFewSamplesGiveNoGrowthAndTheCurrentUseWins() {
    Forecast one = Forecast.of(GIB, 700L, daily(500));
    assertThat(one.growthBytesPerDay()).isEmpty();
    assertThat(one.daysUntilFull()).isEmpty();
    assertThat(one.usedBytes()).isEqualTo(700);
    assertThat(one.projectedUsedBytes(30)).isEqualTo(700);

    Forecast none = Forecast.of(GIB, null, List.of());
    assertThat(none.usedBytes()).isZero();
    assertThat(none.samples()).isZero();
  }

  @Test
  void aVolumeAlreadyFullHasNoDaysLeft() {
    Forecast f = Forecast.of(1000, null, daily(900, 1000, 1100));
    assertThat(f.daysUntilFull().getAsDouble()).isZero();
  }
}

package dev.coffer.server.capacity;

import java.util.List;
import java.util.OptionalDouble;

/**
 * Where an instance's volume usage is heading, from its samples: the least-squares line through
 * (time, bytes used) gives the growth per day; the days until full are the free bytes over that
 * growth, and there are none when usage is not growing.
 *
 * @param growthBytesPerDay empty with fewer than two samples at distinct times
 * @param daysUntilFull empty when usage is not growing (or growth is unknown)
 */
public record Forecast(
    long sizeBytes,
    long usedBytes,
    int samples,
    OptionalDouble growthBytesPerDay,
    OptionalDouble daysUntilFull) {

  private static final double SECONDS_PER_DAY = 86_400;

  /**
   * @param samples oldest first; the newest gives the current usage unless {@code usedNow} is known
   */
  public static Forecast of(long sizeBytes, Long usedNow, List<VolumeSample> samples) {
    long used =
        usedNow != null
            ? usedNow
            : samples.isEmpty() ? 0 : samples.get(samples.size() - 1).usedBytes();
    OptionalDouble growth = growthPerDay(samples);
    OptionalDouble days = OptionalDouble.empty();
    if (growth.isPresent() && growth.getAsDouble() > 0) {
      days = OptionalDouble.of(Math.max(0, sizeBytes - used) / growth.getAsDouble());
    }
    return new Forecast(sizeBytes, used, samples.size(), growth, days);
  }

  /** Slope of the least-squares line through the samples, in bytes per day. */
  static OptionalDouble growthPerDay(List<VolumeSample> samples) {
    if (samples.size() < 2) {
      return OptionalDouble.empty();
    }
    long origin = samples.get(0).at().toEpochMilli();
    double n = samples.size();
    double sumX = 0;
    double sumY = 0;
    for (VolumeSample s : samples) {
      sumX += (s.at().toEpochMilli() - origin) / 1000.0;
      sumY += s.usedBytes();
    }
    double meanX = sumX / n;
    double meanY = sumY / n;
    double covariance = 0;
    double variance = 0;
    for (VolumeSample s : samples) {
      double dx = (s.at().toEpochMilli() - origin) / 1000.0 - meanX;
      covariance += dx * (s.usedBytes() - meanY);
      variance += dx * dx;
    }
    if (variance == 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(covariance / variance * SECONDS_PER_DAY);
  }

  /**
   * The bytes the instance is expected to use in {@code days}: today's usage plus the growth (a
   * shrinking instance is expected to keep what it uses), not capped at the volume's size, since it
   * is what the instance will need.
   */
  public long projectedUsedBytes(int days) {
    double growth = Math.max(0, growthBytesPerDay.orElse(0));
    return usedBytes + Math.round(growth * days);
  }

  public double usedPercent() {
    return sizeBytes == 0 ? 0 : usedBytes * 100.0 / sizeBytes;
  }
}

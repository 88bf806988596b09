package dev.coffer.server.backups;

import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which scheduled backups to keep: the newest {@code keepLast}, plus the newest backup of each of
 * the last {@code daily} days, {@code weekly} ISO weeks and {@code monthly} months that have one
 * (UTC). A kept incremental keeps every backup it is built on, so nothing kept becomes
 * unrestorable.
 */
public record RetentionPolicy(int keepLast, int daily, int weekly, int monthly) {

  public RetentionPolicy {
    if (keepLast < 1 || daily < 0 || weekly < 0 || monthly < 0) {
      throw new IllegalArgumentException("keep_last must be at least 1 and the others at least 0");
    }
  }

  /** The backups to delete, given completed backups of one instance and their parents. */
  public List<Backup> expired(List<Backup> completed) {
    List<Backup> newestFirst = new ArrayList<>(completed);
    newestFirst.sort((a, b) -> b.createdAt().compareTo(a.createdAt()));
    Set<String> keep = new LinkedHashSet<>();
    newestFirst.stream().limit(keepLast).forEach(b -> keep.add(b.id()));
    keepNewestPer(newestFirst, b -> day(b), daily, keep);
    keepNewestPer(newestFirst, b -> week(b), weekly, keep);
    keepNewestPer(newestFirst, b -> month(b), monthly, keep);
    Map<String, Backup> byId =
        completed.stream().collect(Collectors.toMap(Backup::id, Function.identity()));
    for (String id : new ArrayList<>(keep)) {
      for (Backup b = byId.get(id); b != null && b.parentId() != null; b = byId.get(b.parentId())) {
        keep.add(b.parentId());
      }
    }
    return newestFirst.stream().filter(b -> !keep.contains(b.id())).toList();
  }

  private static void keepNewestPer(
      List<Backup> newestFirst, Function<Backup, Object> period, int count, Set<String> keep) {
    Set<Object> seen = new HashSet<>();
    for (Backup b : newestFirst) {
      if (seen.size() >= count) {
        return;
      }
      if (seen.add(period.apply(b))) {
        keep.add(b.id());
      }
    }
  }

  private static LocalDate day(Backup b) {
    return LocalDate.ofInstant(b.createdAt(), ZoneOffset.UTC);
  }

  private static String week(Backup b) {
    LocalDate d = day(b);
    return d.get(IsoFields.WEEK_BASED_YEAR) + "-W" + d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
  }

  private static YearMonth month(Backup b) {
    return YearMonth.from(day(b));
  }
}

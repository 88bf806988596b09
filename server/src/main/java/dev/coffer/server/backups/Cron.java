package dev.coffer.server.backups;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/** Cron expressions in UTC: five Unix fields, or six/seven Quartz fields (with seconds). */
final class Cron {
  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser QUARTZ =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ));

  private Cron() {}

  /** The next time after {@code after}, or empty if the expression is invalid or never fires. */
  static Optional<Instant> next(String expression, Instant after) {
    try {
      String[] fields = expression.trim().split("\\s+");
      CronParser parser = fields.length == 5 ? UNIX : QUARTZ;
      ExecutionTime time = ExecutionTime.forCron(parser.parse(expression.trim()));
      return time.nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC))
          .map(ZonedDateTime::toInstant);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}

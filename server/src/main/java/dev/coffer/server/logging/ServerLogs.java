package dev.coffer.server.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.coffer.agent.logging.JsonLineLayout;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link LogSettings} to the process's logback for as long as a control plane runs: in
 * {@link LogFormat#JSON} the console appenders of the root logger switch to one JSON object per
 * line, and with a log file the root logger also writes there. {@link #close()} puts everything
 * back (tests start several control planes in one JVM).
 */
public final class ServerLogs implements AutoCloseable {
  /**
   * The text line, as in logback.xml, plus the request id when the line is written while handling
   * an API request.
   */
  static final String TEXT_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level %logger{0}"
          + " %replace(request_id=%X{request_id} ){'^request_id= $', ''}%msg%n";

  private static final String FILE_APPENDER = "COFFER_LOG_FILE";

  private final Optional<LoggerContext> context;
  private final Map<ConsoleAppender<ILoggingEvent>, Encoder<ILoggingEvent>> replaced;
  private final Optional<FileAppender<ILoggingEvent>> file;

  private ServerLogs(
      Optional<LoggerContext> context,
      Map<ConsoleAppender<ILoggingEvent>, Encoder<ILoggingEvent>> replaced,
      Optional<FileAppender<ILoggingEvent>> file) {
    this.context = context;
    this.replaced = replaced;
    this.file = file;
  }

  public static ServerLogs install(LogSettings settings) {
    Map<ConsoleAppender<ILoggingEvent>, Encoder<ILoggingEvent>> replaced = new IdentityHashMap<>();
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      // Another SLF4J backend (an embedding application's): its configuration is its own.
      return new ServerLogs(Optional.empty(), replaced, Optional.empty());
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (settings.format() == LogFormat.JSON) {
      for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
        if (it.next() instanceof ConsoleAppender<ILoggingEvent> console) {
          replaced.put(console, console.getEncoder());
          console.setEncoder(encoder(context, LogFormat.JSON));
        }
      }
    }
    Optional<FileAppender<ILoggingEvent>> file =
        settings
            .file()
            .map(
                path -> {
                  FileAppender<ILoggingEvent> appender = new FileAppender<>();
                  appender.setContext(context);
                  appender.setName(FILE_APPENDER);
                  appender.setFile(path.toString());
                  appender.setAppend(true);
                  appender.setEncoder(encoder(context, settings.format()));
                  appender.start();
                  root.addAppender(appender);
                  return appender;
                });
    return new ServerLogs(Optional.of(context), replaced, file);
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context, LogFormat format) {
    if (format == LogFormat.JSON) {
      JsonLineLayout layout = new JsonLineLayout();
      layout.setContext(context);
      layout.start();
      LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
      encoder.setContext(context);
      encoder.setCharset(StandardCharsets.UTF_8);
      encoder.setLayout(layout);
      encoder.start();
      return encoder;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setCharset(StandardCharsets.UTF_8);
    encoder.setPattern(TEXT_PATTERN);
    encoder.start();
    return encoder;
  }

  @Override
  public void close() {
    replaced.forEach(ConsoleAppender::setEncoder);
    context.ifPresent(
        c ->
            file.ifPresent(
                appender -> {
                  c.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
                  appender.stop();
                }));
  }
}

package dev.coffer.agent.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One JSON object per log line, for operators' log pipelines ({@code COFFER_LOG_FORMAT=json}):
 * {@code time} (UTC, ISO-8601), {@code level}, {@code logger}, {@code thread}, {@code message}
 * (formatted), then every MDC entry as a top-level field ({@code request_id}, {@code instance_id},
 * {@code cluster_id}), and {@code exception} (the stack trace) when there is one. A process that
 * serves one instance (an agent) names it in the logger context's {@code instance_id} property, so
 * even a line from a thread that never set the MDC carries it.
 *
 * <p>Logback's own {@code JsonEncoder} writes the unformatted message with its arguments apart and
 * nests the MDC; operators' tools want the line as read and the ids at the top.
 */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {
  /** The MDC key and logger context property naming the instance a line is about. */
  public static final String INSTANCE_ID = "instance_id";

  private static final Set<String> FIXED =
      Set.of("time", "level", "logger", "thread", "message", "exception");

  private final JsonFactory factory = new JsonFactory();

  @Override
  public String doLayout(ILoggingEvent event) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator json = factory.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      json.writeStringField("level", event.getLevel().toString());
      json.writeStringField("logger", event.getLoggerName());
      json.writeStringField("thread", event.getThreadName());
      json.writeStringField("message", event.getFormattedMessage());
      Map<String, String> ids = new TreeMap<>();
      Map<String, String> context =
          event.getLoggerContextVO() == null
              ? Map.of()
              : event.getLoggerContextVO().getPropertyMap();
      if (context != null && context.get(INSTANCE_ID) != null) {
        ids.put(INSTANCE_ID, context.get(INSTANCE_ID));
      }
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null) {
        ids.putAll(mdc);
      }
      for (Map.Entry<String, String> id : ids.entrySet()) {
        if (!FIXED.contains(id.getKey()) && id.getValue() != null) {
          json.writeStringField(id.getKey(), id.getValue());
        }
      }
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        json.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.append('\n').toString();
  }
}

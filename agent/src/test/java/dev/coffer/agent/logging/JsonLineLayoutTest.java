package dev.coffer.agent.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A JSON line stays one line whatever the message holds, names the ids from the MDC and, when the
 * thread set none, the instance its process serves, and carries the stack trace of a failure.
 */
class JsonLineLayoutTest {
  private final LoggerContext context = new LoggerContext();
  private final JsonLineLayout layout = new JsonLineLayout();

  JsonLineLayoutTest() {
    layout.setContext(context);
    layout.start();
  }

  @Test
  void aLineWithQuotesNewlinesAndAFailureIsOneJsonObject() throws Exception {
    LoggingEvent event =
        new LoggingEvent(
            "fqcn",
            context.getLogger("dev.coffer.Example"),
            Level.WARN,
            "event=broken reason=\"{}\"",
            new IllegalStateException("boom"),
            new Object[] {"two\nlines \"quoted\""});
    event.setMDCPropertyMap(Map.of("request_id", "req-1", "instance_id", "from-mdc"));
    context.putProperty(JsonLineLayout.INSTANCE_ID, "from-context");

    String line = layout.doLayout(event);

    assertThat(line).endsWith("\n").doesNotContain("\r");
    assertThat(line.strip()).doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("WARN");
    assertThat(json.path("logger").asText()).isEqualTo("dev.coffer.Example");
    assertThat(json.path("message").asText())
        .isEqualTo("event=broken reason=\"two\nlines \"quoted\"\"");
    assertThat(json.path("request_id").asText()).isEqualTo("req-1");
    assertThat(json.path("instance_id").asText()).isEqualTo("from-mdc");
    assertThat(json.path("exception").asText())
        .contains("java.lang.IllegalStateException: boom")
        .contains("JsonLineLayoutTest");
    assertThat(json.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
  }

  @Test
  void aThreadWithoutIdsStillNamesTheInstanceItsProcessServes() throws Exception {
    context.putProperty(JsonLineLayout.INSTANCE_ID, "the-instance");
    LoggingEvent event =
        new LoggingEvent("fqcn", context.getLogger("x"), Level.INFO, "hello", null, new Object[0]);
    event.setMDCPropertyMap(Map.of());

    JsonNode json = new ObjectMapper().readTree(layout.doLayout(event));

    assertThat(json.path("instance_id").asText()).isEqualTo("the-instance");
    assertThat(json.has("exception")).isFalse();
  }
}

package dev.coffer.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The capability matrix in the operator guide is the one the engines declare. When an engine gains
 * or loses a capability this test fails and prints the table to paste; run it with {@code
 * -Dcoffer.writeDocs=true} to update the guide in place.
 */
class CapabilityMatrixTest {
  static final String START = "<!-- capability-matrix:start (CapabilityMatrixTest) -->\n";
  static final String END = "<!-- capability-matrix:end -->";

  @Test
  void theOperatorGuideShowsWhatEveryEngineDeclares() throws Exception {
    Path guide = Path.of("..", "docs", "operations.md");
    String text = Files.readString(guide, StandardCharsets.UTF_8);
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    assertThat(start).as("the guide has the matrix markers").isNotNegative();
    assertThat(end).isGreaterThan(start);
    String expected = CapabilityMatrix.markdown(EngineCatalog.load().descriptors());
    String shown = text.substring(start + START.length(), end);
    if (!shown.equals(expected) && Boolean.getBoolean("coffer.writeDocs")) {
      Files.writeString(
          guide,
          text.substring(0, start + START.length()) + expected + text.substring(end),
          StandardCharsets.UTF_8);
      return;
    }
    assertThat(shown).as("docs/operations.md capability matrix").isEqualTo(expected);
  }

  @Test
  void everyDatastoreHasARowAndEveryCapabilityAColumn() {
    String table = CapabilityMatrix.markdown(EngineCatalog.load().descriptors());
    assertThat(table).contains("| mariadb | 3306 |", "| postgresql | 5432 |", "| redis | 6379 |");
    assertThat(table.lines().findFirst().orElseThrow()).contains("point in time recovery");
  }
}

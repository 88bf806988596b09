package dev.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TableTest {
  @Test
  void columnsAreAlignedUnderUpperCaseHeaders() {
    String text = print(Table.of("id", "name").row("1", "m1.tiny").row("22", "x").row("333", null));

    assertThat(text).isEqualTo("ID   NAME\n1    m1.tiny\n22   x\n333\n");
  }

  @Test
  void fieldsSkipEmptyValues() {
    String text = print(Table.fields().field("name", "db1").field("fault", "").field("size", 1));

    assertThat(text).isEqualTo("name  db1\nsize  1\n");
  }

  private static String print(Table table) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    table.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
  }
}

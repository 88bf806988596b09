package dev.coffer.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Aligned columns separated by two spaces, with an upper-case header; or, for one object, aligned
 * {@code field value} lines without a header.
 */
final class Table {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  private Table(List<String> header) {
    this.header = header;
  }

  /** A list with these column titles. */
  static Table of(String... columns) {
    return new Table(Arrays.stream(columns).map(String::toUpperCase).toList());
  }

  /** One object's fields, one per line. */
  static Table fields() {
    return new Table(List.of());
  }

  /** Adds a row; null cells print as empty. */
  Table row(Object... cells) {
    rows.add(Arrays.stream(cells).map(c -> c == null ? "" : String.valueOf(c)).toList());
    return this;
  }

  /** Adds a field line unless the value is null or empty: absent fields are not shown. */
  Table field(String name, Object value) {
    if (value != null && !String.valueOf(value).isEmpty()) {
      row(name, value);
    }
    return this;
  }

  void print(PrintStream out) {
    List<List<String>> lines = new ArrayList<>();
    if (!header.isEmpty()) {
      lines.add(header);
    }
    lines.addAll(rows);
    int columns = lines.stream().mapToInt(List::size).max().orElse(0);
    int[] widths = new int[columns];
    for (List<String> line : lines) {
      for (int i = 0; i < line.size(); i++) {
        widths[i] = Math.max(widths[i], line.get(i).length());
      }
    }
    for (List<String> line : lines) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < line.size(); i++) {
        text.append(line.get(i));
        if (i < line.size() - 1) {
          text.append(" ".repeat(widths[i] - line.get(i).length() + 2));
        }
      }
      out.println(text.toString().stripTrailing());
    }
  }
}

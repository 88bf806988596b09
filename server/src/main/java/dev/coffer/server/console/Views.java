package dev.coffer.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** Small presentation rules the templates share: status colours, sizes, connection strings. */
public final class Views {
  private Views() {}

  /** The CSS class of a status badge: good, busy, bad or idle. */
  public static String statusClass(String status) {
    return switch (status) {
      case "ACTIVE", "COMPLETED", "HEALTHY" -> "good";
      case "ERROR", "FAILED", "SHUTDOWN", "DEGRADED" -> "bad";
      case "RESTART_REQUIRED" -> "warn";
      default -> "busy";
    };
  }

  public static boolean busy(String status) {
    return statusClass(status).equals("busy");
  }

  /** A size in GB with at most two decimals ("0.02 GB"). */
  public static String gb(JsonNode value) {
    if (value == null || !value.isNumber()) {
      return "–";
    }
    return String.format(Locale.ROOT, "%.2f GB", value.asDouble());
  }

  /**
   * A URI the engine's drivers and clients understand, with no password: {@code
   * mariadb://app@127.78.0.2:3306/shop}, {@code postgresql://…}, {@code redis://…}.
   */
  public static String connectionUri(JsonNode instance, String user, String database) {
    JsonNode endpoint = instance.path("endpoint");
    if (endpoint.isMissingNode()) {
      return "";
    }
    String scheme =
        switch (instance.at("/datastore/type").asText()) {
          case "postgresql" -> "postgresql";
          case "redis" -> "redis";
          case "cassandra" -> "cassandra";
          case "mongodb" -> "mongodb";
          default -> "mariadb";
        };
    StringBuilder uri = new StringBuilder(scheme).append("://");
    if (!user.isEmpty()) {
      uri.append(user).append('@');
    }
    uri.append(endpoint.path("host").asText()).append(':').append(endpoint.path("port").asInt());
    if (!database.isEmpty()) {
      uri.append('/').append(database);
    }
    return uri.toString();
  }

  /** The first element's name of an API list (users, databases), or "". */
  public static String firstName(JsonNode list) {
    return list != null && list.size() > 0 ? list.get(0).path("name").asText() : "";
  }

  /** "m1.small (512 MB)" for a flavor id, or the id when the flavor is unknown. */
  public static String flavorName(JsonNode flavors, String id) {
    for (JsonNode f : flavors) {
      if (f.path("id").asText().equals(id)) {
        return f.path("name").asText() + " (" + f.path("ram").asInt() + " MB)";
      }
    }
    return id;
  }

  /** Bytes for people: "512 MiB", "1.4 GiB". */
  public static String bytes(JsonNode value) {
    if (value == null || !value.isNumber()) {
      return "unknown";
    }
    double b = value.asDouble();
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (Math.abs(b) >= 1024 && unit < units.length - 1) {
      b /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, unit == 0 ? "%.0f %s" : "%.1f %s", b, units[unit]);
  }

  /** A value for a URL's query string. */
  public static String url(String value) {
    return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
  }

  public static String text(JsonNode node, String pointer) {
    JsonNode value = node.at(pointer);
    return value.isMissingNode() || value.isNull() ? "" : value.asText();
  }
}

package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds an object by id, else by name, like the openstack client: {@code GET /<kind>s/{x}}; on 404
 * the list (every page) is searched by name and the one match fetched by id; several matches are an
 * error.
 */
final class Lookup {
  private static final Pattern MARKER = Pattern.compile("[?&]marker=([^&]+)");

  private Lookup() {}

  /**
   * @param kind the singular name, e.g. {@code instance}; the collection is {@code /<kind>s}
   */
  static JsonNode byIdOrName(ApiClient api, String kind, String idOrName) {
    String collection = "/" + kind + "s/";
    try {
      return api.get(collection + ApiClient.segment(idOrName)).path(kind);
    } catch (ApiException e) {
      if (e.status() != 404) {
        throw e;
      }
      List<String> ids = new ArrayList<>();
      for (JsonNode object : listAll(api, kind)) {
        if (idOrName.equals(object.path("name").asText())) {
          ids.add(object.path("id").asText());
        }
      }
      if (ids.isEmpty()) {
        throw e;
      }
      if (ids.size() > 1) {
        throw new CliException(
            ids.size()
                + " "
                + kind
                + "s are named "
                + idOrName
                + " ("
                + String.join(", ", ids)
                + ")",
            "give the id instead of the name");
      }
      return api.get(collection + ApiClient.segment(ids.get(0))).path(kind);
    }
  }

  /** Every object of a kind, following the {@code next} links of the paginated list. */
  static List<JsonNode> listAll(ApiClient api, String kind) {
    List<JsonNode> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String path = "/" + kind + "s";
    while (path != null) {
      JsonNode page = api.get(path);
      page.path(kind + "s").forEach(all::add);
      String next = nextMarker(page);
      path = next != null && seen.add(next) ? "/" + kind + "s?marker=" + next : null;
    }
    return all;
  }

  /** The marker of a list page's {@code next} link, or null on the last page. */
  static String nextMarker(JsonNode page) {
    for (JsonNode link : page.path("links")) {
      if ("next".equals(link.path("rel").asText())) {
        Matcher matcher = MARKER.matcher(link.path("href").asText());
        if (matcher.find()) {
          return matcher.group(1);
        }
      }
    }
    return null;
  }
}

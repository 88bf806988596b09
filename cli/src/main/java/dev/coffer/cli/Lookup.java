package dev.coffer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Finds an object by id, else by name, like the openstack client: {@code GET /<kind>s/{x}}; on 404
 * the list is searched by name and the one match fetched by id; several matches are an error.
 */
final class Lookup {
  private Lookup() {}

  /**
   * @param kind the singular name, e.g. {@code instance}; the collection is {@code /<kind>s}
   * @param all every object of that kind (following pages), searched when the id is unknown
   */
  static JsonNode byIdOrName(
      ApiClient api, String kind, Supplier<List<JsonNode>> all, String idOrName) {
    String collection = "/" + kind + "s/";
    try {
      return api.get(collection + ApiClient.segment(idOrName)).path(kind);
    } catch (ApiException e) {
      if (e.status() != 404) {
        throw e;
      }
      List<String> ids = new ArrayList<>();
      for (JsonNode object : all.get()) {
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
}

package dev.coffer.server.http;

import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/** Trove's self/bookmark link pairs, built from the address the client used. */
public final class Links {
  private Links() {}

  public static List<Map<String, String>> of(Context ctx, String projectId, String relative) {
    String base = ctx.scheme() + "://" + ctx.host();
    return List.of(
        Map.of("href", base + "/v1.0/" + projectId + "/" + relative, "rel", "self"),
        Map.of("href", base + "/" + relative, "rel", "bookmark"));
  }
}

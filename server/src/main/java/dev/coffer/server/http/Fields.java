package dev.coffer.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.api.agent.Json;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Typed, validated access to a JSON request body. Every failure is a 400 that names the field the
 * way Trove does ({@code instance['name']}), so a client always learns what to fix.
 */
public record Fields(JsonNode node, String path) {
  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int MAX_BODY_BYTES = 1 << 20;
  private static final Pattern HAS_ALNUM = Pattern.compile(".*[A-Za-z0-9].*", Pattern.DOTALL);

  /** The whole body, which must be a JSON object. */
  public static Fields body(Context ctx) {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length > MAX_BODY_BYTES) {
      throw new ApiException.OverLimit("Request body is larger than " + MAX_BODY_BYTES + " bytes.");
    }
    if (bytes.length == 0) {
      throw new ApiException.BadRequest("Request body is missing.");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (Exception e) {
      throw new ApiException.BadRequest("Request body is not valid JSON.");
    }
    if (node == null || !node.isObject()) {
      throw new ApiException.BadRequest("Request body must be a JSON object.");
    }
    return new Fields(node, "");
  }

  /** The body's top-level object under {@code key}, e.g. {@code {"instance": {...}}}. */
  public static Fields body(Context ctx, String key) {
    return body(ctx).object(key);
  }

  public String at(String name) {
    return path.isEmpty() ? name : path + "['" + name + "']";
  }

  public boolean has(String name) {
    return node.has(name);
  }

  public boolean isNull(String name) {
    return node.has(name) && node.get(name).isNull();
  }

  public Fields object(String name) {
    return optionalObject(name).orElseThrow(() -> invalid(at(name), "is a required property"));
  }

  public Optional<Fields> optionalObject(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isObject()) {
      throw invalid(at(name), "must be an object");
    }
    return Optional.of(new Fields(value, at(name)));
  }

  /** A required name-like string: 1–255 characters with at least one letter or digit. */
  public String name(String field) {
    return optionalName(field).orElseThrow(() -> invalid(at(field), "is a required property"));
  }

  public Optional<String> optionalName(String field) {
    Optional<String> value = optionalString(field, 255);
    value.ifPresent(
        v -> {
          if (!HAS_ALNUM.matcher(v).matches()) {
            throw invalid(at(field), "must contain at least one letter or digit");
          }
        });
    return value;
  }

  public String string(String field, int maxLength) {
    return optionalString(field, maxLength)
        .orElseThrow(() -> invalid(at(field), "is a required property"));
  }

  public Optional<String> optionalString(String field, int maxLength) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw invalid(at(field), "must be a string");
    }
    String text = value.asText();
    if (text.isEmpty()) {
      throw invalid(at(field), "must not be empty");
    }
    if (text.length() > maxLength) {
      throw invalid(at(field), "must be at most " + maxLength + " characters long");
    }
    if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw invalid(at(field), "must not contain control characters");
    }
    return Optional.of(text);
  }

  /** An id given as a JSON string or integer (Trove clients send flavorRef both ways). */
  public Optional<String> optionalReference(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (value.isIntegralNumber()) {
      return Optional.of(value.asText());
    }
    return optionalString(field, 255);
  }

  public Optional<Integer> optionalInteger(String field, int min, int max) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    int number;
    if (value.isIntegralNumber() && value.canConvertToInt()) {
      number = value.asInt();
    } else if (value.isTextual() && value.asText().matches("-?\\d{1,9}")) {
      number = Integer.parseInt(value.asText());
    } else {
      throw invalid(at(field), "must be an integer");
    }
    if (number < min || number > max) {
      throw invalid(at(field), "must be between " + min + " and " + max);
    }
    return Optional.of(number);
  }

  public Optional<Boolean> optionalBoolean(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isBoolean()) {
      throw invalid(at(field), "must be true or false");
    }
    return Optional.of(value.asBoolean());
  }

  /** Elements of an optional array of objects; empty when absent. */
  public List<Fields> objects(String field, int maxItems) {
    List<Fields> items = new ArrayList<>();
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return items;
    }
    if (!value.isArray()) {
      throw invalid(at(field), "must be an array");
    }
    if (value.size() > maxItems) {
      throw invalid(at(field), "must have at most " + maxItems + " items");
    }
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      String itemPath = at(field) + "[" + i + "]";
      if (!item.isObject()) {
        throw invalid(itemPath, "must be an object");
      }
      items.add(new Fields(item, itemPath));
    }
    return items;
  }

  /** Elements of an optional array of strings; empty when absent. */
  public List<String> strings(String field, int maxItems, int maxLength) {
    List<String> items = new ArrayList<>();
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return items;
    }
    if (!value.isArray()) {
      throw invalid(at(field), "must be an array");
    }
    if (value.size() > maxItems) {
      throw invalid(at(field), "must have at most " + maxItems + " items");
    }
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isTextual() || item.asText().isEmpty() || item.asText().length() > maxLength) {
        throw invalid(
            at(field) + "[" + i + "]",
            "must be a non-empty string of at most " + maxLength + " characters");
      }
      items.add(item.asText());
    }
    return items;
  }

  public static ApiException.BadRequest invalid(String path, String reason) {
    return new ApiException.BadRequest("Validation error: " + path + " " + reason + ".");
  }
}

package dev.coffer.server.configurations;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.api.datastores.ParameterSpec;
import dev.coffer.server.http.ApiException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Checks configuration values against the engine's parameter catalog before anything reaches an
 * agent: the name must be in the catalog, the JSON type must match, and numbers must be in range.
 * Each refusal is a 422 naming the parameter and what it accepts.
 */
final class ParameterValidation {
  private static final int MAX_STRING = 4096;

  private ParameterValidation() {}

  /** The values, each as Long, Double, Boolean or String. */
  static Map<String, Object> validate(JsonNode values, List<ParameterSpec> catalog, String label) {
    if (values == null || !values.isObject()) {
      throw new ApiException.BadRequest(
          "Validation error: configuration['values'] must be an object of parameter names to"
              + " values.");
    }
    Map<String, Object> valid = new LinkedHashMap<>();
    for (var field : values.properties()) {
      ParameterSpec spec =
          find(catalog, field.getKey())
              .orElseThrow(
                  () ->
                      new ApiException.UnprocessableEntity(
                          "The configuration parameter "
                              + field.getKey()
                              + " is not supported for this datastore: "
                              + label
                              + "."));
      valid.put(spec.name(), value(spec, field.getValue()));
    }
    return valid;
  }

  static Optional<ParameterSpec> find(List<ParameterSpec> catalog, String name) {
    return catalog.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  private static Object value(ParameterSpec spec, JsonNode node) {
    switch (spec.type()) {
      case ParameterSpec.INTEGER -> {
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
          throw wrongType(spec, "an integer");
        }
        long v = node.asLong();
        checkRange(spec, v);
        return v;
      }
      case ParameterSpec.FLOAT -> {
        if (!node.isNumber()) {
          throw wrongType(spec, "a number");
        }
        double v = node.asDouble();
        checkRange(spec, v);
        return v;
      }
      case ParameterSpec.BOOLEAN -> {
        if (node.isBoolean()) {
          return node.asBoolean();
        }
        if (node.isIntegralNumber() && (node.asLong() == 0 || node.asLong() == 1)) {
          return node.asLong() == 1;
        }
        throw wrongType(spec, "true or false");
      }
      default -> {
        if (!node.isTextual() || node.asText().length() > MAX_STRING) {
          throw wrongType(spec, "a string of at most " + MAX_STRING + " characters");
        }
        String v = node.asText();
        if (!spec.allowed().isEmpty()) {
          return spec.allowed().stream()
              .filter(a -> a.equalsIgnoreCase(v))
              .findFirst()
              .orElseThrow(
                  () ->
                      new ApiException.UnprocessableEntity(
                          "The value provided for the configuration parameter "
                              + spec.name()
                              + " is not one of: "
                              + String.join(", ", spec.allowed())
                              + "."));
        }
        if (v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
          throw wrongType(spec, "a string without control characters");
        }
        return v;
      }
    }
  }

  private static void checkRange(ParameterSpec spec, double v) {
    if ((spec.min() != null && v < spec.min()) || (spec.max() != null && v > spec.max())) {
      throw new ApiException.UnprocessableEntity(
          "The value provided for the configuration parameter "
              + spec.name()
              + " is not within the valid range: "
              + bound(spec.min(), "no minimum")
              + " to "
              + bound(spec.max(), "no maximum")
              + (spec.unit().isEmpty() ? "" : " " + spec.unit())
              + ".");
    }
  }

  private static String bound(Double b, String none) {
    if (b == null) {
      return none;
    }
    return b == Math.rint(b) && Math.abs(b) < 1e18
        ? Long.toString(b.longValue())
        : String.format(Locale.ROOT, "%s", b);
  }

  private static ApiException wrongType(ParameterSpec spec, String expected) {
    return new ApiException.UnprocessableEntity(
        "The value provided for the configuration parameter "
            + spec.name()
            + " must be "
            + expected
            + " ("
            + spec.type()
            + ").");
  }

  /** How a value travels to the agent: booleans as true/false, numbers without exponent. */
  static String asString(Object value) {
    if (value instanceof Double d) {
      return d == Math.rint(d) && Math.abs(d) < 1e15
          ? Long.toString(d.longValue())
          : java.math.BigDecimal.valueOf(d).toPlainString();
    }
    return String.valueOf(value);
  }
}

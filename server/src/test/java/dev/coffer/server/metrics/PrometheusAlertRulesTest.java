package dev.coffer.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/prometheus-alerts.yml is a well-formed Prometheus rule file whose expressions use only
 * metric families the control plane exports, and it states every built-in rule.
 */
class PrometheusAlertRulesTest {
  static final Path RULES = Path.of("..", "docs", "prometheus-alerts.yml");

  @Test
  void theShippedRulesParseAndUseOnlyExportedMetricNames() throws Exception {
    JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
    List<String> alerts = new ArrayList<>();
    List<String> names = new ArrayList<>();
    assertThat(doc.path("groups").isArray()).isTrue();
    for (JsonNode group : doc.path("groups")) {
      assertThat(group.path("name").asText()).isNotBlank();
      for (JsonNode rule : group.path("rules")) {
        assertThat(rule.path("alert").asText()).matches("[A-Z][A-Za-z]+");
        assertThat(rule.path("labels").path("severity").asText()).isIn("info", "warning", "error");
        assertThat(rule.path("annotations").path("summary").asText()).isNotBlank();
        String expr = rule.path("expr").asText();
        assertThat(expr).as(rule.path("alert").asText()).isNotBlank();
        if (rule.has("for")) {
          assertThat(rule.path("for").asText()).matches("\\d+[smh]");
        }
        alerts.add(rule.path("alert").asText());
        Matcher m = Pattern.compile("coffer_[a-z_]+").matcher(expr);
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    assertThat(alerts)
        .contains(
            "CofferVolumeFull",
            "CofferReplicationLag",
            "CofferBackupStale",
            "CofferInstanceNotActive");
    assertThat(names).isNotEmpty();
    for (String name : names) {
      assertThat(
              ControlPlaneMetrics.FAMILIES.stream()
                  .anyMatch(
                      family ->
                          name.equals(family)
                              || name.equals(family + "_count")
                              || name.equals(family + "_sum")))
          .as("%s is a metric the control plane exports", name)
          .isTrue();
    }
  }
}

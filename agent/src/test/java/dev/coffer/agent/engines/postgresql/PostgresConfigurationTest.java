package dev.coffer.agent.engines.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.DatabaseSpec;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.UserSpec;
import dev.coffer.api.datastores.Capability;
import dev.coffer.api.datastores.ParameterSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Configuration groups on a real PostgreSQL server (flavor of 256 MB, so shared_buffers is 64 MB
 * and work_mem 4 MB by default), started once for the class; every test begins from an empty group
 * in effect. Values are read back from the server itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresConfigurationTest {
  private static final int FLAVOR_MB = 256;

  private final PostgresEngineFactory factory = new PostgresEngineFactory();
  private EngineFixture fixture;
  private Engine engine;
  private ConfigurableEngine configurable;

  @BeforeAll
  void initialiseAndStart() throws IOException {
    fixture = EngineFixture.create(factory, FLAVOR_MB);
    engine = fixture.engine();
    configurable = (ConfigurableEngine) engine;
    engine.initialize();
    engine.start();
  }

  @AfterAll
  void stopAndRemoveEverything() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @BeforeEach
  void startFromTheDefaults() {
    if (!configurable.applyConfiguration(Map.of()).isEmpty()) {
      restart();
    }
  }

  @Test
  void theCatalogListsCommonlyTunedParametersExactlyAsTheServerDescribesThem() throws SQLException {
    assertThat(factory.descriptor().capabilities()).contains(Capability.CONFIGURATION);
    List<ParameterSpec> catalog = factory.parameters("15");
    assertThat(catalog).hasSizeGreaterThanOrEqualTo(25);
    assertThat(catalog.stream().map(ParameterSpec::name).distinct()).hasSameSizeAs(catalog);
    assertThat(catalog)
        .filteredOn(p -> !p.flavorDefault().isEmpty())
        .extracting(ParameterSpec::name)
        .containsExactlyInAnyOrder(
            "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem");
    try (Connection admin = admin();
        PreparedStatement s =
            admin.prepareStatement(
                "SELECT vartype, context, coalesce(unit, ''), min_val, max_val, enumvals"
                    + " FROM pg_settings WHERE lower(name) = ?")) {
      for (ParameterSpec p : catalog) {
        assertThat(p.description()).as(p.name()).isNotBlank();
        assertThat(p.unit()).as(p.name()).isNotNull();
        s.setString(1, p.name());
        try (ResultSet rs = s.executeQuery()) {
          assertThat(rs.next()).as("%s is a parameter of the server", p.name()).isTrue();
          String vartype = rs.getString(1);
          assertThat(p.restartRequired())
              .as("%s needs a restart exactly when its context is postmaster", p.name())
              .isEqualTo(rs.getString(2).equals("postmaster"));
          assertThat(p.type())
              .as(p.name())
              .isEqualTo(
                  switch (vartype) {
                    case "integer" -> ParameterSpec.INTEGER;
                    case "real" -> ParameterSpec.FLOAT;
                    case "bool" -> ParameterSpec.BOOLEAN;
                    default -> ParameterSpec.STRING;
                  });
          String serverUnit = rs.getString(3);
          if (vartype.equals("enum")) {
            List<String> enumvals = Arrays.asList((String[]) rs.getArray(6).getArray());
            assertThat(p.allowed()).as(p.name()).isNotEmpty().isSubsetOf(enumvals);
          }
          if (vartype.equals("integer") || vartype.equals("real")) {
            assertThat(p.min()).as(p.name()).isNotNull();
            assertThat(p.max()).as(p.name()).isNotNull();
            double factor = unitFactor(p.name(), serverUnit, p.unit());
            assertThat(p.min())
                .as("%s minimum", p.name())
                .isGreaterThanOrEqualTo(inCatalogUnit(rs.getDouble(4), factor))
                .isLessThanOrEqualTo(p.max());
            assertThat(p.max())
                .as("%s maximum", p.name())
                .isLessThanOrEqualTo(inCatalogUnit(rs.getDouble(5), factor));
          }
        }
      }
    }
  }

  @Test
  void aDynamicParameterTakesEffectAtOnceWithoutARestart() throws SQLException {
    long pid = engine.pid().orElseThrow();

    Set<String> restartNeeded =
        configurable.applyConfiguration(
            Map.of(
                "work_mem", "16384",
                "random_page_cost", "1.5",
                "log_statement", "mod",
                "jit", "false",
                "statement_timeout", "30000",
                "checkpoint_timeout", "600",
                "timezone", "Europe/Paris"));

    assertThat(restartNeeded).isEmpty();
    assertThat(
            configurable.currentConfiguration(
                Set.of(
                    "work_mem",
                    "random_page_cost",
                    "log_statement",
                    "jit",
                    "statement_timeout",
                    "checkpoint_timeout",
                    "timezone",
                    "no_such_parameter")))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "work_mem", "16384",
                "random_page_cost", "1.5",
                "log_statement", "mod",
                "jit", "false",
                "statement_timeout", "30000",
                "checkpoint_timeout", "600",
                "timezone", "Europe/Paris"));
    try (Connection client = admin()) {
      assertThat(show(client, "work_mem")).isEqualTo("16MB");
      assertThat(show(client, "statement_timeout")).isEqualTo("30s");
    }
    assertThat(engine.pid()).contains(pid);
  }

  @Test
  void theAgentsOwnSessionsIgnoreTheGroupsTimeoutsAndStatementLogging()
      throws IOException, SQLException {
    configurable.applyConfiguration(
        Map.of(
            "statement_timeout", "1",
            "lock_timeout", "1",
            "log_statement", "all",
            "log_min_duration_statement", "0"));

    engine.createDatabase(DatabaseSpec.named("timeouts_db"));
    engine.createUser(
        new UserSpec("timeouts_user", null, "timeouts-Secret1", List.of("timeouts_db")));
    assertThat(((BackupEngine) engine).checkData().consistent()).isTrue();

    // The group's logging is on for everyone else: a client's statement reaches the log. (The
    // client lifts the 1 ms timeout for itself: on a loaded machine its driver's own setup
    // queries would not finish within it.)
    try (Connection client = admin("-c statement_timeout=0");
        Statement s = client.createStatement()) {
      s.execute("SELECT 'client-statement-marker'");
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(serverLogs()).contains("client-statement-marker"));
    assertThat(serverLogs()).doesNotContain("SCRAM-SHA-256$").doesNotContain("timeouts-Secret1");
  }

  @Test
  void aRestartRequiredParameterIsReportedAndTakesEffectOnlyAfterARestart() {
    Map<String, String> group = Map.of("max_connections", "120", "work_mem", "8192");

    assertThat(configurable.applyConfiguration(group)).containsExactly("max_connections");
    assertThat(configurable.currentConfiguration(Set.of("max_connections", "work_mem")))
        .containsEntry("max_connections", "100")
        .containsEntry("work_mem", "8192");

    restart();

    assertThat(configurable.currentConfiguration(Set.of("max_connections")))
        .containsEntry("max_connections", "120");
    assertThat(configurable.applyConfiguration(group)).isEmpty();
  }

  @Test
  void anEmptyGroupReturnsEveryParameterToItsDefaultTheFlavorDerivedOnesIncluded() {
    configurable.applyConfiguration(
        Map.of(
            "shared_buffers", "131072",
            "work_mem", "32768",
            "statement_timeout", "5000",
            "autovacuum", "off"));
    restart();
    Set<String> names = Set.of("shared_buffers", "work_mem", "statement_timeout", "autovacuum");
    assertThat(configurable.currentConfiguration(names))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "shared_buffers", "131072",
                "work_mem", "32768",
                "statement_timeout", "5000",
                "autovacuum", "false"));

    assertThat(configurable.applyConfiguration(Map.of())).containsExactly("shared_buffers");
    assertThat(configurable.currentConfiguration(names))
        .containsEntry("work_mem", String.valueOf(FLAVOR_MB / 64 * 1024))
        .containsEntry("statement_timeout", "0")
        .containsEntry("autovacuum", "true");

    restart();
    assertThat(configurable.currentConfiguration(Set.of("shared_buffers")))
        .containsEntry("shared_buffers", String.valueOf(FLAVOR_MB / 4 * 1024));
  }

  @Test
  void aValueTheServerRefusesLeavesThePreviousConfigurationInPlace() throws IOException {
    configurable.applyConfiguration(Map.of("work_mem", "8192", "timezone", "UTC"));
    Path groupFile = fixture.context().dataDir().resolve(PostgresConfigurationGroup.FILE);
    String before = Files.readString(groupFile);

    assertThatThrownBy(
            () ->
                configurable.applyConfiguration(
                    Map.of("work_mem", "16384", "timezone", "Mars/Olympus")))
        .isInstanceOfSatisfying(
            EngineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
              assertThat(e.getMessage()).contains("timezone").doesNotContain("work_mem");
            });
    assertThatThrownBy(() -> configurable.applyConfiguration(Map.of("listen_addresses", "*")))
        .isInstanceOfSatisfying(
            EngineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
              assertThat(e.getMessage()).contains("listen_addresses");
            });

    assertThat(Files.readString(groupFile)).isEqualTo(before);
    assertThat(configurable.currentConfiguration(Set.of("work_mem", "timezone")))
        .containsEntry("work_mem", "8192")
        .containsEntry("timezone", "UTC");
    restart();
    assertThat(configurable.currentConfiguration(Set.of("work_mem", "timezone")))
        .containsEntry("work_mem", "8192")
        .containsEntry("timezone", "UTC");
  }

  @Test
  void theGroupSurvivesANewAgentAndReplacesAGroupFileCopiedFromAnotherInstance()
      throws IOException {
    configurable.applyConfiguration(Map.of("work_mem", "12288", "max_connections", "110"));

    // A new agent adopts the running server and reads the values back.
    Engine newAgent = factory.create(fixture.context());
    assertThat(((ConfigurableEngine) newAgent).currentConfiguration(Set.of("work_mem")))
        .containsEntry("work_mem", "12288");

    // pg_rewind or a restore brings the source's group file; this instance keeps its own group.
    newAgent.stop();
    Files.writeString(
        fixture.context().dataDir().resolve(PostgresConfigurationGroup.FILE),
        "work_mem = '64MB'\nmax_connections = 300\n");
    newAgent.start();

    assertThat(
            ((ConfigurableEngine) newAgent)
                .currentConfiguration(Set.of("work_mem", "max_connections")))
        .containsEntry("work_mem", "12288")
        .containsEntry("max_connections", "110");
  }

  // ---- helpers ----

  private void restart() {
    engine.stop();
    engine.start();
  }

  /** How many catalog units one server unit is (1 when neither has a unit). */
  private static double unitFactor(String name, String serverUnit, String catalogUnit) {
    Map<String, Double> bytes = Map.of("B", 1.0, "kB", 1024.0, "8kB", 8192.0, "MB", 1048576.0);
    Map<String, Double> micros = Map.of("us", 1.0, "ms", 1e3, "s", 1e6, "min", 6e7);
    if (serverUnit.isEmpty() || catalogUnit.isEmpty()) {
      assertThat(catalogUnit).as("%s unit", name).isEqualTo(serverUnit);
      return 1;
    }
    Map<String, Double> dimension = bytes.containsKey(serverUnit) ? bytes : micros;
    assertThat(dimension).as("%s unit", name).containsKey(catalogUnit);
    double factor = dimension.get(serverUnit) / dimension.get(catalogUnit);
    assertThat(factor % 1).as("%s: whole catalog units", name).isZero();
    return factor;
  }

  /** Zero and the negative special values mean the same in every unit. */
  private static double inCatalogUnit(double serverValue, double factor) {
    return serverValue <= 0 ? serverValue : serverValue * factor;
  }

  private String serverLogs() throws IOException {
    StringBuilder all = new StringBuilder();
    try (var files = Files.list(fixture.context().logDir())) {
      for (Path file : files.toList()) {
        all.append(Files.readString(file));
      }
    }
    return all.toString();
  }

  private Connection admin() throws SQLException {
    return admin(null);
  }

  private Connection admin(String options) throws SQLException {
    Properties props = new Properties();
    if (options != null) {
      props.setProperty("options", options);
    }
    props.setProperty("user", "os_admin");
    props.setProperty(
        "password", Secrets.readOrCreate(fixture.context().agentDir().resolve("admin.secret")));
    props.setProperty("sslmode", "disable");
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(
        "jdbc:postgresql://" + fixture.address() + ":" + fixture.port() + "/postgres", props);
  }

  private static String show(Connection c, String setting) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }
}

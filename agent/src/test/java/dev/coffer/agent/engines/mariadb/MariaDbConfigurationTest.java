package dev.coffer.agent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.engines.mariadb.MariaDbParameters.Parameter;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.datastores.ParameterSpec;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Configuration groups on a real MariaDB server. One server serves the class; every test leaves it
 * with an empty group (and restarts it when it changed a restart-required parameter).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MariaDbConfigurationTest {
  private static final int MEMORY_MB = 256;
  private static final long MB = 1024 * 1024;

  private final MariaDbEngineFactory factory = new MariaDbEngineFactory();
  private final List<ParameterSpec> catalog = factory.parameters("10.11");
  private EngineFixture fixture;
  private Engine engine;
  private ConfigurableEngine configurable;
  // every catalog parameter as the freshly started server reported it, before any group
  private Map<String, String> freshValues;

  @BeforeAll
  void startServer() throws Exception {
    fixture = EngineFixture.create(factory, MEMORY_MB);
    engine = fixture.engine();
    configurable = (ConfigurableEngine) engine;
    try {
      engine.initialize();
      engine.start();
      freshValues = configurable.currentConfiguration(names());
    } catch (RuntimeException e) {
      fixture.close();
      throw e;
    }
  }

  @AfterAll
  void removeServer() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @AfterEach
  void emptyGroup() {
    configurable.applyConfiguration(Map.of());
  }

  // ---- the catalog -----------------------------------------------------------------------

  @Test
  void theCatalogListsDozensOfParametersEachWithTypeUnitAndDescription() {
    assertThat(catalog).hasSizeGreaterThanOrEqualTo(25);
    assertThat(catalog.stream().map(ParameterSpec::name)).doesNotHaveDuplicates();
    assertThat(factory.descriptor().capabilities())
        .contains(dev.coffer.api.datastores.Capability.CONFIGURATION);
    for (ParameterSpec p : catalog) {
      assertThat(p.type())
          .as(p.name())
          .isIn(
              ParameterSpec.INTEGER,
              ParameterSpec.FLOAT,
              ParameterSpec.BOOLEAN,
              ParameterSpec.STRING);
      assertThat(p.description()).as(p.name()).isNotBlank();
      if (p.type().equals(ParameterSpec.INTEGER) || p.type().equals(ParameterSpec.FLOAT)) {
        assertThat(p.min()).as(p.name()).isNotNull();
        assertThat(p.max()).as(p.name()).isNotNull().isGreaterThan(p.min());
      }
      if (p.name().endsWith("_buffer_size") || p.name().endsWith("_table_size")) {
        assertThat(p.unit()).as(p.name()).isEqualTo("bytes");
      }
      if (p.name().endsWith("_timeout")) {
        assertThat(p.unit()).as(p.name()).isEqualTo("s");
      }
    }
    // the memory settings Coffer derives from the flavor say so
    assertThat(catalog)
        .filteredOn(p -> !p.flavorDefault().isEmpty())
        .extracting(ParameterSpec::name)
        .containsExactlyInAnyOrder(
            "innodb_buffer_pool_size", "innodb_log_file_size", "max_connections");
    // Coffer's own management stays out of reach
    assertThat(catalog.stream().map(ParameterSpec::name))
        .doesNotContain(
            "port",
            "bind_address",
            "datadir",
            "socket",
            "log_bin",
            "sync_binlog",
            "expire_logs_days",
            "server_id",
            "read_only",
            "gtid_domain_id",
            "lower_case_table_names",
            "secure_file_priv");
    // MySQL's variables differ; it declares no configuration groups
    assertThat(new MySqlEngineFactory().parameters("8.0")).isEmpty();
  }

  @Test
  void everyParameterIsAServerVariableAndNeedsARestartExactlyWhenTheServerSaysSo()
      throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      Map<String, ServerVariable> variables = serverVariables(s);
      for (ParameterSpec p : catalog) {
        ServerVariable v = variables.get(p.name());
        assertThat(v).as("%s is a server variable", p.name()).isNotNull();
        assertThat(p.restartRequired()).as(p.name()).isEqualTo(v.readOnly());
        // the server's own answer: a dynamic variable takes SET GLOBAL, a read-only one refuses it
        String set = "SET GLOBAL " + p.name() + " = " + sqlLiteral(p, v.value());
        if (p.restartRequired()) {
          assertThatThrownBy(() -> s.execute(set))
              .as(p.name())
              .isInstanceOfSatisfying(
                  SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1238));
        } else {
          s.execute(set);
        }
        if (v.min() != null && p.min() != null) {
          assertThat(new BigDecimal(v.min())).as(p.name()).isLessThanOrEqualTo(decimal(p.min()));
          assertThat(new BigDecimal(v.max())).as(p.name()).isGreaterThanOrEqualTo(decimal(p.max()));
        }
        if (v.enumValues() != null && !p.allowed().isEmpty()) {
          assertThat(List.of(v.enumValues().split(","))).as(p.name()).containsAll(p.allowed());
        }
      }
      // every collation exists and belongs to a listed character set, whose default Coffer knows
      for (String collation : spec("collation_server").allowed()) {
        assertThat(
                scalar(
                    c,
                    "SELECT CHARACTER_SET_NAME FROM information_schema.COLLATIONS"
                        + " WHERE COLLATION_NAME = ?",
                    collation))
            .as(collation)
            .isIn(spec("character_set_server").allowed());
      }
      for (String charset : spec("character_set_server").allowed()) {
        assertThat(MariaDbParameters.DEFAULT_COLLATIONS.get(charset))
            .isEqualTo(
                scalar(
                    c,
                    "SELECT DEFAULT_COLLATE_NAME FROM information_schema.CHARACTER_SETS"
                        + " WHERE CHARACTER_SET_NAME = ?",
                    charset));
      }
      for (String engineName : spec("default_storage_engine").allowed()) {
        assertThat(
                scalar(
                    c,
                    "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = ?",
                    engineName))
            .as(engineName)
            .isIn("YES", "DEFAULT");
      }
    }
    // and every name is an option the server takes in my.cnf
    Set<String> options = serverOptions();
    for (Parameter p : MariaDbParameters.all()) {
      assertThat(options).as(p.option()).contains(p.option().replace('_', '-'));
    }
  }

  // ---- applying groups --------------------------------------------------------------------

  @Test
  void aDynamicParameterTakesEffectAtOnceWithoutARestart() {
    long pid = engine.pid().orElseThrow();
    Map<String, String> group =
        Map.of(
            "max_connections", "77",
            "innodb_buffer_pool_size", String.valueOf(96 * MB),
            "long_query_time", "2.5",
            "slow_query_log", "true",
            "sql_mode", "strict_all_tables,no_zero_date",
            "tx_isolation", "read-committed",
            "character_set_server", "latin1",
            "innodb_write_io_threads", "6",
            "event_scheduler", "ON");

    assertThat(configurable.applyConfiguration(group)).isEmpty();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(configurable.currentConfiguration(group.keySet()))
                    .containsEntry("max_connections", "77")
                    .containsEntry("innodb_buffer_pool_size", String.valueOf(96 * MB))
                    .containsEntry("long_query_time", "2.5")
                    .containsEntry("slow_query_log", "true")
                    .containsEntry("sql_mode", "STRICT_ALL_TABLES,NO_ZERO_DATE")
                    .containsEntry("tx_isolation", "READ-COMMITTED")
                    .containsEntry("character_set_server", "latin1")
                    .containsEntry("innodb_write_io_threads", "6")
                    .containsEntry("event_scheduler", "ON"));
    // the charset's own collation came with it
    assertThat(configurable.currentConfiguration(Set.of("collation_server")))
        .containsEntry("collation_server", "latin1_swedish_ci");
    assertThat(engine.pid()).hasValue(pid);
    // unknown names are left out of a read
    assertThat(configurable.currentConfiguration(Set.of("no_such_parameter", "wait_timeout")))
        .containsOnlyKeys("wait_timeout");
  }

  @Test
  void aRestartRequiredParameterWaitsForARestartAndTheGroupSurvivesIt() throws Exception {
    Map<String, String> group =
        Map.of(
            "innodb_log_buffer_size", String.valueOf(8 * MB),
            "innodb_flush_method", "fsync",
            "max_connections", "90",
            "table_open_cache", "300");

    assertThat(configurable.applyConfiguration(group))
        .containsExactlyInAnyOrder("innodb_log_buffer_size", "innodb_flush_method");
    assertThat(configurable.currentConfiguration(group.keySet()))
        .containsEntry("innodb_log_buffer_size", String.valueOf(16 * MB))
        .containsEntry("innodb_flush_method", "O_DIRECT")
        .containsEntry("max_connections", "90")
        .containsEntry("table_open_cache", "300");
    // an agent restarting meanwhile still knows what waits for the server's restart
    ConfigurableEngine restartedAgent = (ConfigurableEngine) factory.create(fixture.context());
    assertThat(restartedAgent.applyConfiguration(group))
        .containsExactlyInAnyOrder("innodb_log_buffer_size", "innodb_flush_method");

    restart();

    assertThat(configurable.currentConfiguration(group.keySet()))
        .containsEntry("innodb_log_buffer_size", String.valueOf(8 * MB))
        .containsEntry("innodb_flush_method", "fsync")
        .containsEntry("max_connections", "90")
        .containsEntry("table_open_cache", "300");
    assertThat(configurable.applyConfiguration(group)).isEmpty();

    // back to defaults: the restart-only ones, and the cache the server sizes at start, wait
    assertThat(configurable.applyConfiguration(Map.of()))
        .containsExactlyInAnyOrder(
            "innodb_log_buffer_size", "innodb_flush_method", "table_open_cache");
    assertThat(configurable.currentConfiguration(Set.of("max_connections")))
        .containsEntry("max_connections", freshValues.get("max_connections"));
    restart();
    assertThat(configurable.currentConfiguration(names())).isEqualTo(freshValues);
  }

  @Test
  void anEmptyGroupReturnsEveryParameterToItsDefaultIncludingTheFlavorDerivedOnes()
      throws IOException {
    assertThat(freshValues)
        .containsEntry("innodb_buffer_pool_size", String.valueOf(128 * MB))
        .containsEntry("max_connections", "64")
        .containsEntry("character_set_server", "utf8mb4");
    Map<String, String> group = new HashMap<>();
    group.put("innodb_buffer_pool_size", String.valueOf(64 * MB));
    group.put("innodb_log_file_size", String.valueOf(48 * MB));
    group.put("max_connections", "120");
    group.put("innodb_io_capacity", "3000");
    group.put("innodb_flush_log_at_trx_commit", "2");
    group.put("innodb_read_io_threads", "2");
    group.put("wait_timeout", "600");
    group.put("max_allowed_packet", String.valueOf(64 * MB));
    group.put("tmp_table_size", String.valueOf(32 * MB));
    group.put("sort_buffer_size", String.valueOf(4 * MB));
    group.put("query_cache_type", "DEMAND");
    group.put("query_cache_size", String.valueOf(8 * MB));
    group.put("sql_mode", "");
    group.put("collation_server", "utf8mb4_unicode_ci");
    group.put("default_storage_engine", "Aria");
    group.put("innodb_file_per_table", "false");
    group.put("max_statement_time", "30");
    assertThat(configurable.applyConfiguration(group)).isEmpty();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(configurable.currentConfiguration(group.keySet()))
                    .containsAllEntriesOf(group));
    // InnoDB derived a maximum from the new capacity, as a start would
    assertThat(configurable.currentConfiguration(Set.of("innodb_io_capacity_max")))
        .containsEntry("innodb_io_capacity_max", "6000");

    assertThat(configurable.applyConfiguration(Map.of())).isEmpty();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> assertThat(configurable.currentConfiguration(names())).isEqualTo(freshValues));
    assertThat(myCnf()).doesNotContain("# configuration group");
  }

  @Test
  void aValueTheServerRefusesLeavesThePreviousConfigurationInPlace() throws IOException {
    Map<String, String> previous =
        Map.of("max_connections", "80", "sql_mode", "STRICT_ALL_TABLES", "wait_timeout", "900");
    configurable.applyConfiguration(previous);
    String cnf = myCnf();

    // max_connections and wait_timeout are set before the server meets the unknown SQL mode
    assertRefused(
        Map.of("max_connections", "81", "wait_timeout", "901", "sql_mode", "NO_SUCH_MODE"),
        "sql_mode");
    assertRefused(Map.of("default_storage_engine", "BLACKHOLE"), "default_storage_engine");
    assertRefused(
        Map.of("character_set_server", "latin1", "collation_server", "utf8mb4_bin"),
        "collation_server");
    assertRefused(Map.of("max_connections", "5"), "max_connections");
    assertRefused(Map.of("sql_mode", "ANSI\nlog-bin=/tmp/x"), "sql_mode");
    assertRefused(Map.of("datadir", "/tmp"), "datadir");

    assertThat(configurable.currentConfiguration(previous.keySet())).isEqualTo(previous);
    assertThat(myCnf()).isEqualTo(cnf).contains("max_connections=80", "sql_mode=STRICT_ALL_TABLES");
  }

  // ---- helpers ---------------------------------------------------------------------------

  private void assertRefused(Map<String, String> group, String parameter) {
    assertThatThrownBy(() -> configurable.applyConfiguration(group))
        .isInstanceOfSatisfying(
            EngineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.BAD_REQUEST);
              assertThat(e.getMessage()).contains(parameter);
            });
  }

  private void restart() {
    engine.stop();
    engine.start();
  }

  private Set<String> names() {
    return catalog.stream().map(ParameterSpec::name).collect(Collectors.toSet());
  }

  private ParameterSpec spec(String name) {
    return catalog.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  private String myCnf() throws IOException {
    return Files.readString(fixture.context().instanceDir().resolve("my.cnf"));
  }

  private record ServerVariable(
      boolean readOnly, String value, String min, String max, String enumValues) {}

  private static Map<String, ServerVariable> serverVariables(Statement s) throws SQLException {
    Map<String, ServerVariable> variables = new HashMap<>();
    try (ResultSet rs =
        s.executeQuery(
            "SELECT VARIABLE_NAME, READ_ONLY, GLOBAL_VALUE, NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE,"
                + " ENUM_VALUE_LIST FROM information_schema.SYSTEM_VARIABLES")) {
      while (rs.next()) {
        variables.put(
            rs.getString(1).toLowerCase(Locale.ROOT),
            new ServerVariable(
                "YES".equals(rs.getString(2)),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6)));
      }
    }
    return variables;
  }

  private static String sqlLiteral(ParameterSpec p, String value) {
    return p.type().equals(ParameterSpec.STRING) ? Sql.literal(value) : value;
  }

  private static BigDecimal decimal(double value) {
    return BigDecimal.valueOf(value);
  }

  private static String scalar(Connection c, String sql, String parameter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** The option names {@code mariadbd --verbose --help} lists, spelled with dashes. */
  private Set<String> serverOptions() throws Exception {
    Path out = Files.createTempFile("mariadbd-help", ".txt");
    try {
      Process help =
          new ProcessBuilder(
                  fixture.context().binary("server"), "--no-defaults", "--verbose", "--help")
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
      Set<String> options = new HashSet<>();
      for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
        if (line.startsWith("  --") || line.matches("^  -\\w, --.*")) {
          String option = line.substring(line.indexOf("--") + 2).split("[=\\s\\[]", 2)[0];
          options.add(option.replace('_', '-'));
        }
      }
      return options;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private Connection connect() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "os_admin");
    props.setProperty(
        "password", Secrets.readOrCreate(fixture.context().agentDir().resolve("admin.secret")));
    props.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection(
        "jdbc:mariadb://" + fixture.address() + ":" + fixture.port() + "/", props);
  }
}

package dev.coffer.agent.engines.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.coffer.agent.engine.ConfigurableEngine;
import dev.coffer.agent.engine.Engine;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.process.OsProcesses;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.datastores.ParameterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/** Configuration groups on a real redis-server: the catalog, live changes, restarts, refusals. */
class RedisConfigurationTest {
  private static final RedisEngineFactory FACTORY = new RedisEngineFactory();
  private static final int MEMORY_MB = 256;
  private static final long MIB = 1024L * 1024;

  private static EngineFixture fixture;
  private static Engine engine;
  private static ConfigurableEngine configurable;
  private static List<ParameterSpec> catalog;
  private static Set<String> names;

  /** What the server reported right after its first start, before any group. */
  private static Map<String, String> untouched;

  @BeforeAll
  static void startRedis() throws Exception {
    fixture = EngineFixture.create(FACTORY, MEMORY_MB);
    engine = fixture.engine();
    configurable = (ConfigurableEngine) engine;
    engine.initialize();
    engine.start();
    catalog = FACTORY.parameters(FACTORY.discover().get(0).version());
    names = new LinkedHashSet<>(catalog.stream().map(ParameterSpec::name).toList());
    untouched = configurable.currentConfiguration(names);
  }

  @AfterAll
  static void removeRedis() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  /** Every test starts from the defaults, restart-required ones included. */
  @AfterEach
  void backToDefaults() {
    if (!configurable.applyConfiguration(Map.of()).isEmpty()) {
      restart();
    }
  }

  // ---- the catalog --------------------------------------------------------------------------

  @Test
  void theCatalogHoldsDozensOfDistinctDescribedParameters() {
    assertThat(catalog).hasSizeGreaterThanOrEqualTo(25);
    assertThat(names).hasSameSizeAs(catalog);
    assertThat(catalog)
        .allSatisfy(
            spec -> {
              assertThat(spec.type())
                  .isIn(ParameterSpec.INTEGER, ParameterSpec.BOOLEAN, ParameterSpec.STRING);
              assertThat(spec.description()).isNotBlank();
              if (ParameterSpec.INTEGER.equals(spec.type())) {
                assertThat(spec.min()).isNotNull();
                assertThat(spec.max()).isNotNull().isGreaterThan(spec.min());
              }
            });
    // Sizes in bytes, as CONFIG GET reports them.
    assertThat(catalog)
        .filteredOn(spec -> "bytes".equals(spec.unit()))
        .extracting(ParameterSpec::name)
        .contains(
            "maxmemory",
            "repl-backlog-size",
            "auto-aof-rewrite-min-size",
            "client-query-buffer-limit",
            "stream-node-max-bytes");
    assertThat(catalog)
        .filteredOn(spec -> !spec.flavorDefault().isEmpty())
        .extracting(ParameterSpec::name)
        .containsExactlyInAnyOrder("maxmemory", "repl-backlog-size");
    // What Coffer manages, or what backups and restores rely on, is not offered.
    assertThat(names)
        .doesNotContain(
            "bind", "port", "dir", "aclfile", "appendonly", "replicaof", "masterauth", "logfile");
    assertThat(FACTORY.descriptor().capabilities())
        .contains(dev.coffer.api.datastores.Capability.CONFIGURATION);
    assertThat(FACTORY.parameters("6.2")).isEmpty();
  }

  @Test
  void everyCatalogParameterIsOneTheRunningServerReports() {
    try (Jedis admin = admin()) {
      for (String name : names) {
        assertThat(admin.configGet(name)).as(name).containsOnlyKeys(name);
      }
    }
  }

  @Test
  void exactlyTheParametersConfigSetRefusesAsImmutableNeedARestart() {
    try (Jedis admin = admin()) {
      for (ParameterSpec spec : catalog) {
        String current = admin.configGet(spec.name()).get(spec.name());
        if (spec.restartRequired()) {
          assertThatThrownBy(() -> admin.configSet(spec.name(), current))
              .as(spec.name())
              .isInstanceOf(JedisDataException.class)
              .hasMessageContaining("immutable");
        } else {
          assertThat(admin.configSet(spec.name(), current)).as(spec.name()).isEqualTo("OK");
        }
      }
    }
  }

  @Test
  void anUntouchedInstanceRunsWithTheCatalogDefaultsIncludingTheFlavorDerivedOnes() {
    Map<String, String> defaults = new HashMap<>();
    for (String name : names) {
      defaults.put(
          name, RedisParameters.toCatalog(name, RedisParameters.defaultValue(name, MEMORY_MB)));
    }

    assertThat(untouched).isEqualTo(defaults);
    assertThat(untouched)
        .containsEntry("maxmemory", Long.toString(192 * MIB)) // 75% of 256 MB
        .containsEntry("repl-backlog-size", Long.toString(16 * MIB)) // 1/16 of 256 MB
        .containsEntry("lazyfree-lazy-eviction", "false");
  }

  // ---- applying a group ---------------------------------------------------------------------

  @Test
  void dynamicParametersTakeEffectAtOnceWithoutARestart() {
    long pid = engine.pid().orElseThrow();

    Set<String> restartRequired =
        configurable.applyConfiguration(
            Map.of(
                "maxmemory", Long.toString(100 * MIB),
                "maxmemory-policy", "allkeys-lru",
                "maxmemory-samples", "7",
                "lazyfree-lazy-eviction", "true",
                "save", "900 1  300 10",
                "notify-keyspace-events", "KEA",
                "hz", "20",
                "slowlog-max-len", "256"));

    assertThat(restartRequired).isEmpty();
    assertThat(engine.pid()).contains(pid);
    assertThat(configurable.currentConfiguration(names))
        .containsEntry("maxmemory", Long.toString(100 * MIB))
        .containsEntry("maxmemory-policy", "allkeys-lru")
        .containsEntry("maxmemory-samples", "7")
        .containsEntry("lazyfree-lazy-eviction", "true")
        .containsEntry("save", "900 1 300 10")
        .containsEntry("notify-keyspace-events", "AKE") // Redis' own spelling of KEA
        .containsEntry("hz", "20")
        .containsEntry("slowlog-max-len", "256");
    try (Jedis admin = admin()) {
      assertThat(admin.configGet("lazyfree-lazy-eviction"))
          .containsEntry("lazyfree-lazy-eviction", "yes");
      assertThat(admin.configGet("maxmemory-policy"))
          .containsEntry("maxmemory-policy", "allkeys-lru");
    }
  }

  @Test
  void aRestartRequiredParameterIsReturnedAndTakesEffectOnlyAfterARestart() {
    Set<String> restartRequired =
        configurable.applyConfiguration(Map.of("databases", "32", "hz", "15"));

    assertThat(restartRequired).containsExactly("databases");
    assertThat(configurable.currentConfiguration(Set.of("databases", "hz")))
        .containsEntry("databases", "16")
        .containsEntry("hz", "15");
    try (Jedis admin = admin()) {
      assertThatThrownBy(() -> admin.select(20)).hasMessageContaining("out of range");
    }

    restart();

    assertThat(configurable.currentConfiguration(Set.of("databases")))
        .containsEntry("databases", "32");
    try (Jedis admin = admin()) {
      assertThat(admin.select(20)).isEqualTo("OK");
    }
    assertThat(configurable.applyConfiguration(Map.of("databases", "32", "hz", "15"))).isEmpty();
  }

  @Test
  void anEmptyGroupReturnsEveryParameterToItsDefaultFlavorDerivedOnesIncluded() throws Exception {
    configurable.applyConfiguration(
        Map.of(
            "maxmemory", Long.toString(64 * MIB),
            "repl-backlog-size", Long.toString(2 * MIB),
            "hz", "20",
            "appendfsync", "always",
            "save", ""));
    assertThat(configurable.currentConfiguration(names))
        .containsEntry("maxmemory", Long.toString(64 * MIB))
        .containsEntry("repl-backlog-size", Long.toString(2 * MIB))
        .containsEntry("save", "");

    assertThat(configurable.applyConfiguration(Map.of())).isEmpty();

    assertThat(configurable.currentConfiguration(names)).isEqualTo(untouched);
    assertThat(Files.readAllLines(groupFile()))
        .allMatch(line -> line.isBlank() || line.startsWith("#"));
    restart();
    assertThat(configurable.currentConfiguration(names)).isEqualTo(untouched);
  }

  @Test
  void aValueTheServerRefusesLeavesThePreviousConfigurationInPlace() throws Exception {
    long openFilesLimit = hardOpenFilesLimit(engine.pid().orElseThrow());
    assumeThat(openFilesLimit).isLessThan(Integer.MAX_VALUE);
    configurable.applyConfiguration(Map.of("maxmemory-samples", "6", "hz", "12"));
    String fileBefore = Files.readString(groupFile());

    // Allowed by the catalog, but Redis cannot open that many files (it needs 32 more).
    assertThatThrownBy(
            () ->
                configurable.applyConfiguration(
                    Map.of(
                        "maxmemory-samples", "9",
                        "hz", "12",
                        "maxclients", Long.toString(openFilesLimit))))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("maxclients")
        .extracting(e -> ((EngineException) e).kind())
        .isEqualTo(ErrorKind.BAD_REQUEST);

    assertThat(configurable.currentConfiguration(names))
        .containsEntry("maxmemory-samples", "6")
        .containsEntry("hz", "12")
        .containsEntry("maxclients", untouched.get("maxclients"));
    assertThat(Files.readString(groupFile())).isEqualTo(fileBefore);
    restart();
    assertThat(configurable.currentConfiguration(Set.of("maxmemory-samples", "maxclients")))
        .containsEntry("maxmemory-samples", "6")
        .containsEntry("maxclients", untouched.get("maxclients"));
  }

  @Test
  void valuesOutsideTheCatalogOrRedisSyntaxAreRefusedBeforeAnythingChanges() throws Exception {
    configurable.applyConfiguration(Map.of("hz", "12"));
    String fileBefore = Files.readString(groupFile());

    Map<String, String> wrong =
        Map.of(
            "save", "900",
            "notify-keyspace-events", "KEz#",
            "port", "1234",
            "maxmemory-samples", "many",
            "appendfsync", "sometimes",
            "lazyfree-lazy-eviction", "maybe",
            "databases", "0");
    wrong.forEach(
        (name, value) ->
            assertThatThrownBy(
                    () -> configurable.applyConfiguration(Map.of("hz", "30", name, value)))
                .as(name)
                .isInstanceOf(EngineException.class)
                .hasMessageContaining(name)
                .extracting(e -> ((EngineException) e).kind())
                .isEqualTo(ErrorKind.BAD_REQUEST));
    assertThatThrownBy(() -> configurable.applyConfiguration(Map.of("save", "0 1")))
        .hasMessageContaining("save");

    assertThat(configurable.currentConfiguration(Set.of("hz"))).containsEntry("hz", "12");
    assertThat(Files.readString(groupFile())).isEqualTo(fileBefore);
  }

  @Test
  void loweringDatabasesBelowOneHoldingKeysIsRefused() {
    configurable.applyConfiguration(Map.of("databases", "32"));
    restart();
    try (Jedis admin = admin()) {
      admin.select(20);
      admin.set("kept-in-20", "x");
    }

    assertThatThrownBy(() -> configurable.applyConfiguration(Map.of()))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("databases")
        .hasMessageContaining("database 20 holds keys");
    assertThat(configurable.applyConfiguration(Map.of("databases", "32"))).isEmpty();

    try (Jedis admin = admin()) {
      admin.select(20);
      admin.del("kept-in-20");
    }
    assertThat(configurable.applyConfiguration(Map.of())).containsExactly("databases");
  }

  // ---- persistence --------------------------------------------------------------------------

  @Test
  void theGroupSurvivesARestartAndReinitialisationInAnOwnerOnlyFile() throws Exception {
    configurable.applyConfiguration(
        Map.of(
            "maxmemory", Long.toString(100 * MIB),
            "hz", "25",
            "notify-keyspace-events", "Ex",
            "save", ""));

    engine.stop();
    engine.initialize(); // a re-sent PREPARE rewrites redis.conf, never the group
    engine.start();

    // maxmemory: the group wins over the value Coffer derives from the flavor.
    assertThat(configurable.currentConfiguration(names))
        .containsEntry("maxmemory", Long.toString(100 * MIB))
        .containsEntry("hz", "25")
        .containsEntry("notify-keyspace-events", "xE")
        .containsEntry("save", "");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(groupFile())))
        .isEqualTo("rw-------");
    if (OsProcesses.isRoot()) {
      assertThat(Files.getOwner(groupFile()).getName()).isEqualTo(EngineFixture.ENGINE_USER);
    }
    String redisConf = Files.readString(RedisFiles.of(fixture.context()).config());
    assertThat(redisConf.indexOf("include " + groupFile()))
        .isGreaterThan(redisConf.indexOf("maxmemory "))
        .isGreaterThan(redisConf.indexOf("repl-backlog-size "))
        .isLessThan(
            redisConf.indexOf("include " + RedisFiles.of(fixture.context()).replicationConfig()));
  }

  @Test
  void currentConfigurationLeavesUnknownNamesOut() {
    assertThat(configurable.currentConfiguration(Set.of("hz", "port", "no-such-parameter")))
        .containsOnlyKeys("hz");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static void restart() {
    engine.stop();
    engine.start();
  }

  private static Path groupFile() {
    return RedisFiles.of(fixture.context()).groupConfig();
  }

  /** The hard "Max open files" limit of a process, as Linux reports it. */
  private static long hardOpenFilesLimit(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
      if (line.startsWith("Max open files")) {
        String hard = line.substring("Max open files".length()).strip().split("\\s+")[1];
        return "unlimited".equals(hard) ? Long.MAX_VALUE : Long.parseLong(hard);
      }
    }
    throw new IllegalStateException("no open files limit for " + pid);
  }

  private static Jedis admin() {
    return new Jedis(
        fixture.address(),
        fixture.port(),
        DefaultJedisClientConfig.builder()
            .user(RedisEngineFactory.ADMIN_USER)
            .password(adminPassword())
            .timeoutMillis(5000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  private static String adminPassword() {
    try {
      return Files.readString(fixture.context().agentDir().resolve("admin.secret")).strip();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

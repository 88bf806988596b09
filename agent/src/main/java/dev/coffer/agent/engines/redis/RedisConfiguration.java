package dev.coffer.agent.engines.redis;

import dev.coffer.agent.engine.EngineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The instance's configuration group ({@link RedisParameters}): kept in {@link
 * RedisFiles#groupConfig()}, which {@code redis.conf} includes after Coffer's derived settings (so
 * the group wins over them) and before the replication role file (so the role still wins), and
 * applied to the running server with one {@code CONFIG SET}.
 *
 * <p>Redis 7 applies a multi-parameter {@code CONFIG SET} atomically: when it refuses one value it
 * puts back every other one it changed. So a group is applied by writing the file, then setting
 * what changed in one command; a refusal only has to put the previous file back.
 *
 * <p>Only the parameters named by the new or the previous group are ever set live: those named by
 * neither already run with their defaults, and leaving them alone spares a server whose {@code
 * maxclients} was lowered at start-up to the OS file limit an error on every group.
 */
final class RedisConfiguration {
  private static final Logger log = LoggerFactory.getLogger(RedisConfiguration.class);

  private static final String HEADER =
      "# Written by the Coffer agent: this instance's configuration group.";

  /** How Redis 7 names the parameter it refused in a multi-parameter CONFIG SET. */
  private static final Pattern REFUSED =
      Pattern.compile("possibly related to argument '([^']+)'\\) - (.*)", Pattern.DOTALL);

  private static final Pattern KEYSPACE_DB = Pattern.compile("^db(\\d+):keys=(\\d+)");

  private final RedisFiles files;
  private final int memoryMb;
  private final Supplier<Jedis> admin;
  private final Runnable fixOwnership;

  /**
   * @param memoryMb the flavor's RAM, which some defaults follow
   * @param admin an admin connection to the running server
   * @param fixOwnership gives the data directory (and so the group file) to the engine's user
   */
  RedisConfiguration(RedisFiles files, int memoryMb, Supplier<Jedis> admin, Runnable fixOwnership) {
    this.files = files;
    this.memoryMb = memoryMb;
    this.admin = admin;
    this.fixOwnership = fixOwnership;
  }

  /** Writes an empty group if there is none yet, for {@code include} to find. */
  void initialize() {
    if (!Files.exists(files.groupConfig())) {
      write(render(Map.of()));
    }
  }

  /**
   * Makes {@code values} the whole group (see {@link
   * dev.coffer.agent.engine.ConfigurableEngine#applyConfiguration}); needs the server running.
   */
  synchronized Set<String> apply(Map<String, String> values) {
    Map<String, String> group = new TreeMap<>();
    values.forEach((name, value) -> group.put(name, RedisParameters.toEngine(name, value)));
    String previousText = readGroupText();
    Set<String> touched = new LinkedHashSet<>(group.keySet());
    touched.addAll(names(previousText));
    touched.retainAll(RedisParameters.names()); // a parameter dropped from the catalog stays out

    try (Jedis jedis = admin.get()) {
      Map<String, String> running = touched.isEmpty() ? Map.of() : configGet(jedis, touched);
      Map<String, String> live = new LinkedHashMap<>();
      Set<String> restartRequired = new LinkedHashSet<>();
      for (String name : touched) {
        String wanted = group.getOrDefault(name, RedisParameters.defaultValue(name, memoryMb));
        if (RedisParameters.sameSetting(name, wanted, running.get(name))) {
          continue;
        }
        if (RedisParameters.parameter(name).restartRequired()) {
          restartRequired.add(name);
        } else {
          live.put(name, wanted);
        }
      }
      if (restartRequired.contains("databases")) {
        checkDatabasesHoldNoKeysBeyond(
            jedis,
            Integer.parseInt(
                group.getOrDefault(
                    "databases", RedisParameters.defaultValue("databases", memoryMb))));
      }

      write(render(group));
      if (!live.isEmpty()) {
        try {
          jedis.configSet(live);
        } catch (JedisDataException e) {
          // Redis put back every value of this CONFIG SET itself: only the file is left to undo.
          write(previousText);
          throw refused(e, live.keySet());
        } catch (JedisException e) {
          write(previousText);
          restoreQuietly(running, live.keySet());
          throw EngineException.failure(
              "redis: the configuration was not applied: " + e.getMessage());
        }
      }
      log.info(
          "redis configuration applied parameters={} setLive={} restartRequired={}",
          group.size(),
          live.keySet(),
          restartRequired);
      return restartRequired;
    } catch (JedisException e) {
      throw EngineException.failure("redis: cannot read the configuration: " + e.getMessage());
    }
  }

  /** What the running server reports for the catalog's names among {@code names}. */
  Map<String, String> current(Set<String> names) {
    Set<String> known = new LinkedHashSet<>(names);
    known.retainAll(RedisParameters.names());
    if (known.isEmpty()) {
      return Map.of();
    }
    try (Jedis jedis = admin.get()) {
      Map<String, String> values = new TreeMap<>();
      configGet(jedis, known)
          .forEach(
              (name, value) -> {
                if (known.contains(name)) {
                  values.put(name, RedisParameters.toCatalog(name, value));
                }
              });
      return values;
    } catch (JedisException e) {
      throw EngineException.failure("redis: cannot read the configuration: " + e.getMessage());
    }
  }

  // ---- the group file -----------------------------------------------------------------------

  private static String render(Map<String, String> group) {
    List<String> lines = new ArrayList<>();
    lines.add(HEADER);
    group.forEach((name, value) -> lines.add(RedisParameters.directive(name, value)));
    lines.add("");
    return String.join("\n", lines);
  }

  /** The parameter names a group file sets: the first word of every directive. */
  private static Set<String> names(String text) {
    Set<String> names = new LinkedHashSet<>();
    for (String line : text.split("\n")) {
      String stripped = line.strip();
      if (!stripped.isEmpty() && !stripped.startsWith("#")) {
        names.add(stripped.split("\\s+", 2)[0]);
      }
    }
    return names;
  }

  private String readGroupText() {
    try {
      return Files.readString(files.groupConfig(), StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      return render(Map.of());
    } catch (IOException e) {
      throw EngineException.failure(
          "cannot read " + files.groupConfig() + ": " + e.getMessage(), e);
    }
  }

  private void write(String text) {
    files.writeGroupConfig(text);
    fixOwnership.run();
  }

  // ---- the running server -------------------------------------------------------------------

  private static Map<String, String> configGet(Jedis jedis, Set<String> names) {
    return jedis.configGet(names.toArray(String[]::new));
  }

  /**
   * Lowering {@code databases} below one that holds keys would leave a snapshot Redis refuses to
   * load at the next start: refused while the data is still there.
   */
  private static void checkDatabasesHoldNoKeysBeyond(Jedis jedis, int databases) {
    for (String line : jedis.info("keyspace").split("\\r?\\n")) {
      Matcher m = KEYSPACE_DB.matcher(line);
      if (m.find() && Integer.parseInt(m.group(1)) >= databases && Long.parseLong(m.group(2)) > 0) {
        throw EngineException.badRequest(
            "databases cannot be lowered to "
                + databases
                + ": database "
                + m.group(1)
                + " holds keys.");
      }
    }
  }

  private static EngineException refused(JedisDataException e, Set<String> names) {
    String message = String.valueOf(e.getMessage());
    Matcher m = REFUSED.matcher(message);
    if (m.find()) {
      return EngineException.badRequest(
          "Redis refused the value of " + m.group(1) + ": " + m.group(2).strip());
    }
    return EngineException.badRequest(
        "Redis refused the values of " + String.join(", ", names) + ": " + message);
  }

  /** After a lost connection the CONFIG SET may or may not have happened: set the old values. */
  private void restoreQuietly(Map<String, String> running, Set<String> names) {
    Map<String, String> previous = new LinkedHashMap<>();
    names.forEach(name -> previous.put(name, running.get(name)));
    try (Jedis jedis = admin.get()) {
      jedis.configSet(previous);
    } catch (RuntimeException e) {
      log.warn(
          "redis configuration not restored live parameters={} error={}", names, e.getMessage());
    }
  }
}

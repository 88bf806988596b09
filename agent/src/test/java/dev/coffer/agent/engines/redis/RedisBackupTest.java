package dev.coffer.agent.engines.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.agent.engine.BackupEngine;
import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.EngineException;
import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.api.agent.ErrorKind;
import dev.coffer.api.agent.UserSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisAccessControlException;

/**
 * Redis backups against real redis-servers: a source with 10 000 keys and a user, backed up once,
 * then restored into fresh targets.
 */
class RedisBackupTest {
  private static final RedisEngineFactory FACTORY = new RedisEngineFactory();
  private static final int KEYS = 10_000;
  private static final String USER = "app";
  private static final String USER_PASSWORD = "app-secret-pass";

  private static EngineFixture source;
  private static Path backupDir;
  private static Path backupFile;
  private static BackupManifest manifest;

  @BeforeAll
  static void backUpASourceWithKeysAndAUser() throws Exception {
    backupDir = Files.createTempDirectory("coffer-redis-backup");
    source = EngineFixture.create(FACTORY, 256);
    source.engine().initialize();
    source.engine().start();
    source.engine().createUser(new UserSpec(USER, "%", USER_PASSWORD, List.of()));
    try (Jedis jedis = connect(source, USER, USER_PASSWORD)) {
      setKeys(jedis, "key:", KEYS);
    }

    backupFile = backupDir.resolve("full.tar");
    try (OutputStream out = Files.newOutputStream(backupFile)) {
      manifest = backups(source).backup(Optional.empty(), out);
    }

    try (Jedis jedis = connect(source, USER, USER_PASSWORD)) {
      setKeys(jedis, "later:", 100);
    }
  }

  @AfterAll
  static void removeEverything() throws Exception {
    try {
      if (source != null) {
        source.close();
      }
    } finally {
      deleteRecursively(backupDir);
    }
  }

  @Test
  void aRestoredInstanceHasTheBackedUpKeysAndUsersButNotLaterWrites() throws Exception {
    try (EngineFixture target = targetWithItsOwnKey()) {
      restore(target, backupFile);
      target.engine().start();

      assertThat(target.engine().isHealthy()).isTrue(); // this instance's os_admin works
      try (Jedis jedis = connect(target, USER, USER_PASSWORD)) {
        assertThat(jedis.dbSize()).isEqualTo(KEYS);
        assertThat(jedis.get("key:0")).isEqualTo("value-0");
        assertThat(jedis.get("key:" + (KEYS - 1))).isEqualTo("value-" + (KEYS - 1));
        assertThat(jedis.exists("later:0")).isFalse();
        assertThat(jedis.exists("target-only")).isFalse();
      }
      assertThatThrownBy(() -> connect(target, "os_admin", adminPassword(source)).ping())
          .as("the source's admin password opens nothing on the target")
          .isInstanceOf(JedisAccessControlException.class);
      try (Jedis admin = connect(target, "os_admin", adminPassword(target))) {
        assertThat(admin.aclUsers()).containsExactlyInAnyOrder("default", "os_admin", USER);
      }
      try (Stream<Path> files = Files.list(target.context().dataDir())) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .as("no scratch files are left in the data directory")
            .containsExactlyInAnyOrder(
                "users.acl",
                "dump.rdb",
                "appendonlydir",
                "replication.conf",
                "configuration.conf",
                "cluster.conf");
      }
    }
  }

  @Test
  void restoredDataAndLaterWritesSurviveARestartThroughTheAppendOnlyFile() throws Exception {
    try (EngineFixture target = targetWithItsOwnKey()) {
      restore(target, backupFile);
      target.engine().start();
      try (Jedis jedis = connect(target, USER, USER_PASSWORD)) {
        jedis.set("after-restore", "kept");
      }

      target.engine().stop();
      target.engine().start();

      try (Jedis admin = connect(target, "os_admin", adminPassword(target))) {
        assertThat(admin.configGet("appendonly")).containsEntry("appendonly", "yes");
        assertThat(admin.info("persistence")).contains("aof_enabled:1");
        assertThat(admin.dbSize()).isEqualTo(KEYS + 1);
        assertThat(admin.get("after-restore")).isEqualTo("kept");
      }
      try (Jedis jedis = connect(target, USER, USER_PASSWORD)) {
        assertThat(jedis.get("key:42")).isEqualTo("value-42");
      }
    }
  }

  @Test
  void aBackupIsATarOfTheUsersAndTheRdbWithoutTheAgentsAdmin() throws Exception {
    Path unpacked = Files.createDirectory(backupDir.resolve("unpacked"));
    try {
      run("tar", "-xf", backupFile.toString(), "-C", unpacked.toString());

      try (Stream<Path> files = Files.list(unpacked)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("users.acl", "dump.rdb");
      }
      String acl = Files.readString(unpacked.resolve("users.acl"));
      assertThat(acl).contains("user " + USER + " on #").doesNotContain("os_admin");
      assertThat(acl).doesNotContain(USER_PASSWORD);
      Path rdb = unpacked.resolve("dump.rdb");
      assertThat(new String(Files.readAllBytes(rdb), 0, 5, StandardCharsets.US_ASCII))
          .isEqualTo("REDIS");
      assertThat(manifest.format()).isEqualTo("rdb+acl");
      assertThat(manifest.position())
          .containsEntry("keys", Integer.toString(KEYS))
          .containsEntry("rdb_bytes", Long.toString(Files.size(rdb)))
          .containsKey("redis_version");
    } finally {
      deleteRecursively(unpacked);
    }
  }

  @Test
  void incrementalBackupsAndChainsAreUnsupported() throws Exception {
    BackupEngine engine = backups(source);

    assertThat(engine.supportsIncremental()).isFalse();
    assertThatThrownBy(() -> engine.backup(Optional.of(manifest), OutputStream.nullOutputStream()))
        .isInstanceOf(EngineException.class)
        .hasMessage(
            "The 'incremental backup' operation is not supported for the 'redis' datastore.")
        .extracting(e -> ((EngineException) e).kind())
        .isEqualTo(ErrorKind.UNSUPPORTED);
    try (EngineFixture target = EngineFixture.create(FACTORY, 256)) {
      target.engine().initialize();
      BackupSource full = source(manifest, Files.readAllBytes(backupFile));
      assertThatThrownBy(() -> backups(target).restore(List.of(full, full)))
          .isInstanceOf(EngineException.class)
          .extracting(e -> ((EngineException) e).kind())
          .isEqualTo(ErrorKind.UNSUPPORTED);
    }
  }

  @Test
  void aTruncatedBackupIsRefusedAndLeavesTheTargetAsItWas() throws Exception {
    byte[] whole = Files.readAllBytes(backupFile);
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
    try (EngineFixture target = targetWithItsOwnKey()) {
      Path dataDir = target.context().dataDir();

      assertThatThrownBy(() -> backups(target).restore(List.of(source(manifest, truncated))))
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("ends");

      try (Stream<Path> files = Files.list(dataDir)) {
        assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("restore.partial");
      }
      target.engine().start();
      try (Jedis admin = connect(target, "os_admin", adminPassword(target))) {
        assertThat(admin.get("target-only")).isEqualTo("mine");
        assertThat(admin.exists("key:0")).isFalse();
      }
    }
  }

  @Test
  void aBackupRequestedWhileAnotherSaveRunsWaitsAndHoldsTheNewestWrites() throws Exception {
    try (Jedis admin = connect(source, "os_admin", adminPassword(source))) {
      slowChildren(admin);
      try {
        admin.bgsave();
        assertThat(admin.info("persistence")).contains("rdb_bgsave_in_progress:1");
        admin.set("mark-save", "after-the-running-save-forked");

        byte[] backup = backUp(source);

        assertThat(contains(backup, "mark-save")).isTrue();
      } finally {
        admin.configSet("rdb-key-save-delay", "0");
      }
    }
  }

  @Test
  void aBackupRequestedDuringAnAofRewriteIsScheduledAfterIt() throws Exception {
    try (Jedis admin = connect(source, "os_admin", adminPassword(source))) {
      slowChildren(admin);
      try {
        long rewritesBefore = infoNumber(admin, "aof_rewrites");
        admin.bgrewriteaof();
        assertThat(admin.info("persistence")).contains("aof_rewrite_in_progress:1");
        admin.set("mark-aof", "during-the-rewrite");

        byte[] backup = backUp(source);

        assertThat(contains(backup, "mark-aof")).isTrue();
        assertThat(infoNumber(admin, "aof_rewrites")).isGreaterThan(rewritesBefore);
      } finally {
        admin.configSet("rdb-key-save-delay", "0");
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A fresh, initialised and stopped target that already holds a key of its own. */
  private static EngineFixture targetWithItsOwnKey() throws IOException {
    EngineFixture target = EngineFixture.create(FACTORY, 256);
    try {
      target.engine().initialize();
      target.engine().start();
      try (Jedis admin = connect(target, "os_admin", adminPassword(target))) {
        admin.set("target-only", "mine");
      }
      target.engine().stop();
      return target;
    } catch (RuntimeException e) {
      target.close();
      throw e;
    }
  }

  private static void restore(EngineFixture target, Path file) throws IOException {
    backups(target).restore(List.of(source(manifest, Files.readAllBytes(file))));
  }

  private static BackupEngine backups(EngineFixture fixture) {
    return (BackupEngine) fixture.engine();
  }

  private static BackupSource source(BackupManifest manifest, byte[] bytes) {
    return new BackupSource() {
      @Override
      public BackupManifest manifest() {
        return manifest;
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(bytes);
      }
    };
  }

  private static byte[] backUp(EngineFixture fixture) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    backups(fixture).backup(Optional.empty(), out);
    return out.toByteArray();
  }

  /** Makes each forked save or rewrite take about half a second, so the test can overlap it. */
  private static void slowChildren(Jedis admin) {
    long keys = admin.dbSize();
    admin.configSet("rdb-key-save-delay", Long.toString(Math.max(1, 500_000 / keys)));
  }

  private static long infoNumber(Jedis admin, String field) {
    return admin
        .info("persistence")
        .lines()
        .filter(line -> line.startsWith(field + ":"))
        .mapToLong(line -> Long.parseLong(line.substring(field.length() + 1).strip()))
        .findFirst()
        .orElseThrow();
  }

  /** Short keys are stored verbatim in an RDB (only strings over 20 bytes are compressed). */
  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }

  private static void setKeys(Jedis jedis, String prefix, int count) {
    try (Pipeline pipeline = jedis.pipelined()) {
      for (int i = 0; i < count; i++) {
        pipeline.set(prefix + i, "value-" + i);
      }
      pipeline.sync();
    }
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
  }

  private static Jedis connect(EngineFixture fixture, String user, String password) {
    return new Jedis(
        fixture.address(),
        fixture.port(),
        DefaultJedisClientConfig.builder()
            .user(user)
            .password(password)
            .timeoutMillis(5000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  private static String adminPassword(EngineFixture fixture) {
    try {
      return Files.readString(fixture.context().agentDir().resolve("admin.secret")).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

package dev.coffer.agent.engines.redis;

import static dev.coffer.agent.engines.redis.RedisEngineFactory.ADMIN_USER;

import dev.coffer.agent.engine.BackupEngine.BackupSource;
import dev.coffer.agent.engine.BackupManifest;
import dev.coffer.agent.engine.EngineException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Full backups of one Redis instance as an RDB snapshot plus its ACL users, and their restore.
 *
 * <p><b>Container.</b> A backup is a POSIX tar stream (format {@value #FORMAT}) of exactly two
 * regular files: {@value #ACL_ENTRY} (the users as {@code ACL LIST} printed them, in ACL-file
 * syntax, without the agent's own {@code os_admin}) and {@value #RDB_ENTRY} (the snapshot {@code
 * BGSAVE} wrote). Users are not part of an RDB, so without the second file a restore would lose
 * them. A plain tar lets an operator unpack a (decrypted) backup with {@code tar -x} and load the
 * RDB into any Redis. Both directions stream through a fixed buffer.
 *
 * <p><b>Restore and the append-only file.</b> With {@code appendonly yes} Redis 7 loads its
 * multi-part AOF and ignores {@code dump.rdb}; with no AOF at all it even creates an empty one. The
 * restore therefore installs the RDB as the AOF's base file (the AOF base of Redis 7 is an RDB)
 * with a one-line manifest, and links it as {@code dump.rdb} too. The next plain start loads it,
 * opens a fresh increment file and keeps appending: no special start mode, nothing for the agent to
 * finish later.
 */
final class RedisBackups {
  private static final Logger log = LoggerFactory.getLogger(RedisBackups.class);

  static final String FORMAT = "rdb+acl";
  static final String ACL_ENTRY = "users.acl";
  static final String RDB_ENTRY = "dump.rdb";

  /** Position keys: every key of every database at the snapshot's request, the RDB's size. */
  static final String KEYS = "keys";

  static final String RDB_BYTES = "rdb_bytes";
  static final String REDIS_VERSION = "redis_version";

  private static final String AOF_BASE =
      RedisFiles.AOF_FILE_NAME + ".1.base.rdb"; // Redis' own name for a first base
  private static final String AOF_MANIFEST = RedisFiles.AOF_FILE_NAME + ".manifest";
  private static final String SCRATCH = "restore.partial";

  private static final int BUFFER_BYTES = 256 * 1024;
  private static final long MAX_ACL_BYTES = 64L * 1024 * 1024;
  private static final Duration SAVE_DEADLINE = Duration.ofHours(1);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final byte[] RDB_MAGIC = "REDIS".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern USER_LINE = Pattern.compile("user (\\S+)(?: .*)?");
  private static final Pattern KEYSPACE = Pattern.compile("db\\d+:keys=(\\d+).*");
  private static final FileAttribute<?> OWNER_ONLY_DIR =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private final RedisFiles files;
  private final Path dataDir;
  private final Supplier<Jedis> admin;
  private final Supplier<String> adminPassword;

  RedisBackups(
      RedisFiles files, Path dataDir, Supplier<Jedis> admin, Supplier<String> adminPassword) {
    this.files = files;
    this.dataDir = dataDir;
    this.admin = admin;
    this.adminPassword = adminPassword;
  }

  // ---- backup -------------------------------------------------------------------------------

  /** What a finished {@code BGSAVE} left: the data is in {@link RedisFiles#rdbFile()}. */
  private record Snapshot(long keys, String acl, String redisVersion) {}

  BackupManifest backup(OutputStream out) {
    Snapshot snapshot;
    try (Jedis jedis = admin.get()) {
      snapshot = snapshot(jedis);
    } catch (JedisException e) {
      throw EngineException.failure("redis backup: " + e.getMessage(), e);
    }
    // Redis renames each new snapshot over the old one, so the file opened here never changes
    // underneath the copy, even if another save finishes meanwhile.
    try (FileChannel rdb = FileChannel.open(files.rdbFile(), StandardOpenOption.READ)) {
      long rdbBytes = rdb.size();
      byte[] buffer = new byte[BUFFER_BYTES];
      byte[] acl = snapshot.acl().getBytes(StandardCharsets.UTF_8);
      TarArchive.writeEntry(out, ACL_ENTRY, acl.length, new ByteArrayInputStream(acl), buffer);
      TarArchive.writeEntry(out, RDB_ENTRY, rdbBytes, Channels.newInputStream(rdb), buffer);
      TarArchive.writeEnd(out);
      out.flush();
      log.info("redis backup written keys={} rdbBytes={}", snapshot.keys(), rdbBytes);
      return new BackupManifest(
          FORMAT,
          Map.of(
              KEYS, Long.toString(snapshot.keys()),
              RDB_BYTES, Long.toString(rdbBytes),
              REDIS_VERSION, snapshot.redisVersion()));
    } catch (IOException e) {
      throw EngineException.failure("redis backup: cannot stream the snapshot: " + e, e);
    }
  }

  /**
   * Has Redis write a snapshot that starts after this call, and waits until it is on disk. {@code
   * BGSAVE SCHEDULE} defers the save while an AOF rewrite runs instead of failing; a save already
   * running started before this call (or is a replica's diskless sync), so it is awaited and then
   * ours is asked for.
   */
  private Snapshot snapshot(Jedis jedis) {
    long deadline = System.nanoTime() + SAVE_DEADLINE.toNanos();
    while (true) {
      // rdb_saves counts saves when they start; only one child runs at a time.
      long savesBefore = number(persistence(jedis), "rdb_saves");
      long keys = keyCount(jedis);
      String reply;
      try {
        reply = jedis.bgsaveSchedule();
      } catch (JedisDataException e) {
        if (!String.valueOf(e.getMessage()).contains("already in progress")) {
          throw e;
        }
        await(jedis, deadline, info -> "0".equals(info.get("rdb_bgsave_in_progress")));
        continue;
      }
      String acl = usersWithoutAdmin(jedis.aclList());
      log.info("redis backup snapshot requested reply=\"{}\"", reply);
      Map<String, String> done =
          await(
              jedis,
              deadline,
              info ->
                  number(info, "rdb_saves") > savesBefore
                      && "0".equals(info.get("rdb_bgsave_in_progress")));
      if (!"ok".equals(done.get("rdb_last_bgsave_status"))) {
        throw EngineException.failure(
            "redis backup: BGSAVE failed (see redis-server.log): "
                + done.get("rdb_last_bgsave_status"));
      }
      return new Snapshot(keys, acl, info(jedis, "server").getOrDefault(REDIS_VERSION, ""));
    }
  }

  private static Map<String, String> await(
      Jedis jedis, long deadline, Predicate<Map<String, String>> condition) {
    while (true) {
      Map<String, String> info = persistence(jedis);
      if (condition.test(info)) {
        return info;
      }
      if (System.nanoTime() > deadline) {
        throw EngineException.failure(
            "redis backup: the snapshot did not finish within "
                + SAVE_DEADLINE.toMinutes()
                + " min");
      }
      pause(POLL);
    }
  }

  private static long number(Map<String, String> info, String field) {
    try {
      return Long.parseLong(info.get(field));
    } catch (NumberFormatException e) {
      throw EngineException.failure("redis backup: INFO shows no number for " + field, e);
    }
  }

  private static Map<String, String> persistence(Jedis jedis) {
    return info(jedis, "persistence");
  }

  private static Map<String, String> info(Jedis jedis, String section) {
    return jedis
        .info(section)
        .lines()
        .map(String::strip)
        .filter(line -> !line.startsWith("#") && line.contains(":"))
        .collect(
            Collectors.toMap(
                line -> line.substring(0, line.indexOf(':')),
                line -> line.substring(line.indexOf(':') + 1),
                (first, second) -> second));
  }

  /** The keys of every database ({@code DBSIZE} only counts the selected one). */
  private static long keyCount(Jedis jedis) {
    return jedis
        .info("keyspace")
        .lines()
        .map(String::strip)
        .map(KEYSPACE::matcher)
        .filter(Matcher::matches)
        .mapToLong(m -> Long.parseLong(m.group(1)))
        .sum();
  }

  /** The agent's own admin (its password hash) is this instance's, and never leaves it. */
  private static String usersWithoutAdmin(List<String> aclList) {
    return aclList.stream()
        .filter(line -> !line.startsWith("user " + ADMIN_USER + " "))
        .map(line -> line + "\n")
        .collect(Collectors.joining());
  }

  // ---- restore ------------------------------------------------------------------------------

  /**
   * Replaces the stopped instance's data and users with the backup's. Everything is read and
   * checked into a scratch directory in the data directory first, so a truncated or malformed
   * backup leaves the instance as it was; the scratch directory is removed in every case.
   */
  void restore(BackupSource source) {
    BackupManifest manifest = source.manifest();
    if (!FORMAT.equals(manifest.format())) {
      throw EngineException.badRequest(
          "A backup in format '" + manifest.format() + "' cannot be restored into redis.");
    }
    Path scratch = dataDir.resolve(SCRATCH);
    try {
      deleteRecursively(scratch); // left over by an agent that died during a restore
      Files.createDirectory(scratch, OWNER_ONLY_DIR);
      Path newAofDir = Files.createDirectory(scratch.resolve(RedisFiles.AOF_DIR_NAME));
      Path base = newAofDir.resolve(AOF_BASE);
      String backupAcl = null;
      long rdbBytes = -1;
      try (InputStream in = source.open()) {
        TarArchive.Reader archive = new TarArchive.Reader(in);
        for (Optional<TarArchive.Entry> next = archive.next();
            next.isPresent();
            next = archive.next()) {
          TarArchive.Entry entry = next.get();
          if (ACL_ENTRY.equals(entry.name()) && backupAcl == null) {
            if (entry.size() > MAX_ACL_BYTES) {
              throw EngineException.failure("redis restore: the backup's users.acl is too large");
            }
            backupAcl = new String(entry.content().readAllBytes(), StandardCharsets.UTF_8);
          } else if (RDB_ENTRY.equals(entry.name()) && rdbBytes < 0) {
            rdbBytes = copyRdb(entry.content(), base);
          } else {
            throw EngineException.failure(
                "redis restore: unexpected entry '" + entry.name() + "' in the backup");
          }
        }
      }
      if (backupAcl == null || rdbBytes < 0) {
        throw EngineException.failure(
            "redis restore: the backup lacks " + (backupAcl == null ? ACL_ENTRY : RDB_ENTRY));
      }
      String acl = restoredAcl(backupAcl, adminPassword.get());
      writeDurably(newAofDir.resolve(AOF_MANIFEST), "file " + AOF_BASE + " seq 1 type b\n");
      forceDirectory(newAofDir);

      // Commit: from here on the old data is gone.
      deleteRecursively(files.aofDir());
      Files.deleteIfExists(files.rdbFile());
      Files.move(newAofDir, files.aofDir(), StandardCopyOption.ATOMIC_MOVE);
      Files.createLink(files.rdbFile(), files.aofDir().resolve(AOF_BASE));
      files.writeAcl(acl);
      forceDirectory(dataDir);
      log.info(
          "redis restored rdbBytes={} keysAtBackup={}", rdbBytes, manifest.position().get(KEYS));
    } catch (IOException e) {
      throw EngineException.failure("redis restore: " + e.getMessage(), e);
    } finally {
      try {
        deleteRecursively(scratch);
      } catch (IOException e) {
        log.warn("redis restore: cannot remove {}: {}", scratch, e.toString());
      }
    }
  }

  /** Streams an RDB into {@code target} (flushed to disk), refusing what is not an RDB. */
  private static long copyRdb(InputStream rdb, Path target) throws IOException {
    byte[] buffer = new byte[BUFFER_BYTES];
    long copied = 0;
    try (FileChannel out =
        FileChannel.open(
            target,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      byte[] magic = rdb.readNBytes(RDB_MAGIC.length);
      if (!Arrays.equals(magic, RDB_MAGIC)) {
        throw EngineException.failure("redis restore: the backup's dump.rdb is not an RDB file");
      }
      writeFully(out, ByteBuffer.wrap(magic));
      copied += magic.length;
      for (int read; (read = rdb.read(buffer)) >= 0; ) {
        writeFully(out, ByteBuffer.wrap(buffer, 0, read));
        copied += read;
      }
      out.force(true);
    }
    return copied;
  }

  private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      out.write(bytes);
    }
  }

  /**
   * The ACL file to install: THIS instance's {@code default} (off) and {@code os_admin} (with this
   * instance's password hash), then every other user of the backup. The backup's own {@code
   * default}, {@code os_admin} and {@code os_repl}, if any, are dropped: a restore must never hand
   * the agent's accounts to the source's passwords, nor open the password-less default user.
   */
  static String restoredAcl(String backupAcl, String adminPassword) {
    StringBuilder acl = new StringBuilder(RedisFiles.initialAcl(ADMIN_USER, adminPassword));
    Set<String> seen = new HashSet<>();
    for (String line : backupAcl.split("\n")) {
      String rule = line.strip();
      if (rule.isEmpty()) {
        continue;
      }
      Matcher user = USER_LINE.matcher(rule);
      if (!user.matches()) {
        throw EngineException.failure(
            "redis restore: the backup's users.acl holds a non-user line");
      }
      String name = user.group(1);
      if ("default".equals(name)
          || ADMIN_USER.equals(name)
          || RedisEngineFactory.REPLICATION_USER.equals(name)) {
        continue;
      }
      if (RedisEngineFactory.USER_NAMES.violation(name).isPresent()) {
        throw EngineException.failure("redis restore: the backup holds an invalid user name");
      }
      if (!seen.add(name)) {
        throw EngineException.failure("redis restore: the backup holds user " + name + " twice");
      }
      acl.append(rule).append('\n');
    }
    return acl.toString();
  }

  private static void writeDurably(Path target, String text) throws IOException {
    try (FileChannel out =
        FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      writeFully(out, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      out.force(true);
    }
  }

  private static void forceDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.failure("interrupted while waiting for a redis snapshot", e);
    }
  }
}

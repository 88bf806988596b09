package dev.coffer.agent.engines.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coffer.agent.engine.EngineFixture;
import dev.coffer.agent.engine.ReplicationEngine;
import dev.coffer.agent.process.Secrets;
import dev.coffer.api.agent.ReplicaSetup;
import dev.coffer.api.agent.ReplicationCredentials;
import dev.coffer.api.agent.ReplicationStatus;
import dev.coffer.api.agent.SourceRequest;
import dev.coffer.api.agent.UserInfo;
import dev.coffer.api.agent.UserRef;
import dev.coffer.api.agent.UserSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/** Redis replication between real redis-servers, each on its own loopback address. */
class RedisReplicationTest {
  private static final RedisEngineFactory FACTORY = new RedisEngineFactory();
  private static final ReplicationCredentials CREDENTIALS =
      new ReplicationCredentials("os_repl", "repl \"secret\" ünïcode");
  private static final String TENANT = "app";
  private static final String TENANT_PASSWORD = "app-password";
  private static final Duration CATCH_UP = Duration.ofSeconds(20);

  private final List<EngineFixture> members = new ArrayList<>();

  @AfterEach
  void removeMembers() throws IOException {
    IOException first = null;
    for (EngineFixture member : members) {
      try {
        member.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Test
  void aReplicaServesTheSourcesDataAndUsersReadOnlyAndStaysAReplicaAcrossARestart()
      throws IOException {
    EngineFixture primary = primary();
    primary.engine().createUser(new UserSpec(TENANT, "%", TENANT_PASSWORD, List.of()));
    try (Jedis tenant = tenant(primary)) {
      tenant.set("greeting", "hello");
    }
    EngineFixture replica = replicaOf(primary);

    // The tenant's user was created on the primary only: the replica mirrors it.
    await()
        .atMost(CATCH_UP)
        .untilAsserted(() -> assertThat(read(replica, "greeting")).isEqualTo("hello"));
    try (Jedis tenant = tenant(replica)) {
      assertThatThrownBy(() -> tenant.set("greeting", "changed"))
          .isInstanceOf(JedisDataException.class)
          .hasMessageContaining("READONLY");
    }
    assertThat(replica.engine().listUsers()).extracting(UserInfo::name).containsExactly(TENANT);
    assertThat(primary.engine().listUsers()).extracting(UserInfo::name).containsExactly(TENANT);

    ReplicationStatus source = status(primary);
    assertThat(source.role()).isEqualTo(ReplicationStatus.PRIMARY);
    assertThat(source.lagSeconds()).isNull();
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () -> {
              ReplicationStatus follower = status(replica);
              assertThat(follower.role()).isEqualTo(ReplicationStatus.REPLICA);
              assertThat(follower.sourceHost()).isEqualTo(primary.address());
              assertThat(follower.connected()).isTrue();
              assertThat(follower.lagSeconds()).isNotNull();
              assertThat(follower.progress()).isPositive().isEqualTo(status(primary).progress());
            });

    // A user the primary drops disappears from the replica too, at a later heartbeat.
    primary.engine().deleteUser(new UserRef(TENANT, "%"));
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () -> {
              heartbeat(replica);
              assertThat(replica.engine().listUsers()).isEmpty();
            });

    replica.engine().stop();
    replica.engine().start();
    await()
        .atMost(CATCH_UP)
        .untilAsserted(
            () -> {
              assertThat(status(replica).role()).isEqualTo(ReplicationStatus.REPLICA);
              assertThat(status(replica).connected()).isTrue();
            });
    try (Jedis admin = admin(replica)) {
      assertThat(admin.get("greeting")).isEqualTo("hello");
      assertThatThrownBy(() -> admin.set("greeting", "changed")).hasMessageContaining("READONLY");
    }
    // The replication password is in no file but the owner-only role file.
    assertThat(Files.readString(RedisFiles.of(replica.context()).config()))
        .doesNotContain(CREDENTIALS.password());
  }

  @Test
  void aPlannedSwitchoverUnderWriteLoadLosesNoAcknowledgedWrite() throws Exception {
    EngineFixture oldPrimary = primary();
    oldPrimary.engine().createUser(new UserSpec(TENANT, "%", TENANT_PASSWORD, List.of()));
    EngineFixture newPrimary = replicaOf(oldPrimary);
    awaitUser(newPrimary);

    try (Writer writer = new Writer(oldPrimary, newPrimary)) {
      writer.awaitAcknowledged(500);
      long partialSyncsBefore = stat(newPrimary, "sync_partial_ok");

      replication(oldPrimary).fence();
      long fencedAt = status(oldPrimary).progress();
      assertThat(status(oldPrimary).role()).isEqualTo(ReplicationStatus.FENCED);
      await()
          .atMost(CATCH_UP)
          .until(() -> status(newPrimary).progress() == status(oldPrimary).progress());
      replication(newPrimary).promote();
      replication(oldPrimary).repoint(setupFor(newPrimary));

      writer.awaitAcknowledgedOn(newPrimary, 500);
      List<Long> acknowledged = writer.stop();

      assertThat(numbers(newPrimary)).containsAll(acknowledged);
      await()
          .atMost(CATCH_UP)
          .untilAsserted(
              () -> {
                ReplicationStatus demoted = status(oldPrimary);
                assertThat(demoted.role()).isEqualTo(ReplicationStatus.REPLICA);
                assertThat(demoted.connected()).isTrue();
                assertThat(demoted.progress()).isEqualTo(status(newPrimary).progress());
              });
      assertThat(numbers(oldPrimary)).containsAll(acknowledged);
      // PSYNC2: one offset across the switchover, and the demoted primary resumed partially.
      assertThat(status(newPrimary).progress()).isGreaterThan(fencedAt);
      assertThat(stat(newPrimary, "sync_partial_ok")).isGreaterThan(partialSyncsBefore);
      System.out.printf("redis switchover: %d acknowledged writes, 0 lost%n", acknowledged.size());
    }
  }

  @Test
  void afterAFailoverTheOldPrimaryComesBackFencedAndRejoinsTheNewPrimary() throws Exception {
    EngineFixture oldPrimary = primary();
    oldPrimary.engine().createUser(new UserSpec(TENANT, "%", TENANT_PASSWORD, List.of()));
    EngineFixture first = replicaOf(oldPrimary);
    EngineFixture second = replicaOf(oldPrimary);
    awaitUser(first);
    awaitUser(second);

    List<Long> acknowledged;
    try (Writer writer = new Writer(oldPrimary, null)) {
      writer.awaitAcknowledged(500);
      ProcessHandle engineProcess =
          ProcessHandle.of(oldPrimary.engine().pid().orElseThrow()).orElseThrow();
      engineProcess.destroyForcibly();
      engineProcess.onExit().get(10, TimeUnit.SECONDS);
      acknowledged = writer.stop();
    }

    // Eject: promote the most advanced replica, repoint the other one to it.
    EngineFixture promoted = status(first).progress() >= status(second).progress() ? first : second;
    EngineFixture other = promoted == first ? second : first;
    replication(promoted).promote();
    replication(other).repoint(setupFor(promoted));
    Set<Long> kept = new HashSet<>(numbers(promoted));
    long lost = acknowledged.stream().filter(n -> !kept.contains(n)).count();
    System.out.printf(
        "redis failover: %d acknowledged writes, %d lost%n", acknowledged.size(), lost);

    try (Jedis tenant = tenant(promoted)) {
      tenant.set("after-failover", "yes");
    }
    await().atMost(CATCH_UP).until(() -> "yes".equals(read(other, "after-failover")));
    assertThat(status(promoted).role()).isEqualTo(ReplicationStatus.PRIMARY);

    // The old primary returns as the primary it was; the control plane fences it at once.
    oldPrimary.engine().start();
    replication(oldPrimary).fence();
    assertThat(status(oldPrimary).role()).isEqualTo(ReplicationStatus.FENCED);
    try (Jedis tenant = tenant(oldPrimary)) {
      assertThatThrownBy(() -> tenant.set("split", "brain")).hasMessageContaining("READONLY");
    }

    replication(oldPrimary).repoint(setupFor(promoted));
    await().atMost(CATCH_UP).until(() -> "yes".equals(read(oldPrimary, "after-failover")));
    try (Jedis tenant = tenant(promoted)) {
      tenant.set("after-rejoin", "yes");
    }
    await().atMost(CATCH_UP).until(() -> "yes".equals(read(oldPrimary, "after-rejoin")));
    assertThat(status(oldPrimary).role()).isEqualTo(ReplicationStatus.REPLICA);
  }

  @Test
  void everyStepCanBeRepeatedAndAFencedEngineStaysFencedAcrossARestart() throws IOException {
    EngineFixture primary = primary();
    EngineFixture replica = EngineFixture.create(FACTORY, 256);
    members.add(replica);
    SourceRequest request = new SourceRequest(CREDENTIALS, replica.context().instanceId(), true);
    assertThat(replication(primary).prepareSource(request)).isEmpty();
    assertThat(replication(primary).prepareSource(request)).isEmpty();
    ReplicaSetup setup = setupFor(primary);
    replica.engine().initialize();
    replica.engine().initialize();
    replication(replica).configureReplica(setup);
    replication(replica).configureReplica(setup);
    replica.engine().start();
    replica.engine().start();
    replication(replica).startReplica(setup);
    replication(replica).startReplica(setup);
    try (Jedis admin = admin(primary)) {
      admin.set("first", "1");
    }
    await().atMost(CATCH_UP).until(() -> "1".equals(readAsAdmin(replica, "first")));

    replication(primary).fence();
    replication(primary).fence();
    primary.engine().stop();
    primary.engine().start();
    assertThat(status(primary).role()).isEqualTo(ReplicationStatus.FENCED);
    try (Jedis admin = admin(primary)) {
      assertThatThrownBy(() -> admin.set("second", "2")).hasMessageContaining("READONLY");
    }

    replication(replica).promote();
    replication(replica).promote();
    assertThat(status(replica).role()).isEqualTo(ReplicationStatus.PRIMARY);
    try (Jedis admin = admin(replica)) {
      admin.set("second", "2");
    }
    replication(primary).repoint(setupFor(replica));
    replication(primary).repoint(setupFor(replica));
    await().atMost(CATCH_UP).until(() -> "2".equals(readAsAdmin(primary, "second")));

    replication(replica).releaseReplica(primary.context().instanceId());
    replication(replica).releaseReplica(primary.context().instanceId());
    assertThat(replica.engine().listUsers()).isEmpty();
  }

  // ---- members ------------------------------------------------------------------------------

  private EngineFixture primary() throws IOException {
    EngineFixture primary = EngineFixture.create(FACTORY, 256);
    members.add(primary);
    primary.engine().initialize();
    primary.engine().start();
    return primary;
  }

  /** The agent's PREPARE of a replica, after the control plane's PREPARE_SOURCE on the source. */
  private EngineFixture replicaOf(EngineFixture source) throws IOException {
    EngineFixture replica = EngineFixture.create(FACTORY, 256);
    members.add(replica);
    replication(source)
        .prepareSource(new SourceRequest(CREDENTIALS, replica.context().instanceId(), false));
    ReplicaSetup setup = setupFor(source);
    replica.engine().initialize();
    replica.engine().stop();
    replication(replica).configureReplica(setup);
    replica.engine().start();
    replication(replica).startReplica(setup);
    return replica;
  }

  private static ReplicaSetup setupFor(EngineFixture source) {
    return new ReplicaSetup(
        source.context().instanceId(),
        source.address(),
        source.port(),
        CREDENTIALS,
        Map.of(),
        false);
  }

  private static ReplicationEngine replication(EngineFixture member) {
    return (ReplicationEngine) member.engine();
  }

  private static ReplicationStatus status(EngineFixture member) {
    return replication(member).replicationStatus();
  }

  /** What the agent's heartbeat does every 2 s. */
  private static void heartbeat(EngineFixture member) {
    status(member);
  }

  private static void awaitUser(EngineFixture member) {
    await()
        .atMost(CATCH_UP)
        .until(() -> member.engine().findUser(new UserRef(TENANT, "%")).isPresent());
  }

  // ---- clients ------------------------------------------------------------------------------

  private static Jedis client(EngineFixture member, String user, String password) {
    return new Jedis(
        member.address(),
        member.port(),
        DefaultJedisClientConfig.builder()
            .user(user)
            .password(password)
            .timeoutMillis(2_000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  private static Jedis tenant(EngineFixture member) {
    return client(member, TENANT, TENANT_PASSWORD);
  }

  private static Jedis admin(EngineFixture member) {
    return client(
        member,
        "os_admin",
        Secrets.readOrCreate(member.context().agentDir().resolve("admin.secret")));
  }

  private static String read(EngineFixture member, String key) {
    try (Jedis tenant = tenant(member)) {
      return tenant.get(key);
    } catch (JedisException e) {
      return null; // the user is not mirrored yet
    }
  }

  private static String readAsAdmin(EngineFixture member, String key) {
    try (Jedis admin = admin(member)) {
      return admin.get(key);
    }
  }

  private static List<Long> numbers(EngineFixture member) {
    try (Jedis admin = admin(member)) {
      return admin.lrange("numbers", 0, -1).stream().map(Long::valueOf).toList();
    }
  }

  private static long stat(EngineFixture member, String name) {
    try (Jedis admin = admin(member)) {
      Matcher m = Pattern.compile("(?m)^" + name + ":(\\d+)").matcher(admin.info("stats"));
      assertThat(m.find()).as(name).isTrue();
      return Long.parseLong(m.group(1));
    }
  }

  /**
   * Appends increasing numbers as fast as it can as the tenant, recording those the server
   * acknowledged. When the first target refuses writes (fenced) it moves to the second one (when
   * there is one), retrying until that one is promoted.
   */
  private static final class Writer implements AutoCloseable {
    private final List<Long> acknowledged = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<EngineFixture> target;
    private final AtomicReference<EngineFixture> acknowledgedBy = new AtomicReference<>();
    private final CompletableFuture<Void> done;

    Writer(EngineFixture first, EngineFixture next) {
      target = new AtomicReference<>(first);
      done = CompletableFuture.runAsync(() -> write(next));
    }

    private void write(EngineFixture next) {
      long number = 0;
      Jedis jedis = null;
      while (running.get()) {
        EngineFixture member = target.get();
        try {
          if (jedis == null) {
            jedis = tenant(member);
          }
          jedis.rpush("numbers", String.valueOf(number));
          acknowledged.add(number);
          acknowledgedBy.set(member);
          number++;
        } catch (JedisDataException e) {
          // Refused (READONLY): fenced, or the next target is not promoted yet.
          if (next != null && member != next) {
            target.set(next);
            jedis = closeQuietly(jedis);
          }
        } catch (JedisException e) {
          jedis = closeQuietly(jedis);
          number++; // may or may not have been applied: never counted as acknowledged
        }
      }
      closeQuietly(jedis);
    }

    private static Jedis closeQuietly(Jedis jedis) {
      if (jedis != null) {
        try {
          jedis.close();
        } catch (RuntimeException e) {
          // already broken
        }
      }
      return null;
    }

    void awaitAcknowledged(int count) {
      await().atMost(CATCH_UP).until(() -> acknowledged.size() >= count);
    }

    void awaitAcknowledgedOn(EngineFixture member, int count) {
      int before = acknowledged.size();
      await()
          .atMost(CATCH_UP)
          .until(() -> acknowledgedBy.get() == member && acknowledged.size() >= before + count);
    }

    List<Long> stop() {
      running.set(false);
      done.orTimeout(10, TimeUnit.SECONDS).join();
      return Collections.unmodifiableList(new ArrayList<>(acknowledged));
    }

    @Override
    public void close() {
      stop();
    }
  }
}

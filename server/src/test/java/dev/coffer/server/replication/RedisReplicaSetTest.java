package dev.coffer.server.replication;

import java.util.HashSet;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/** Redis: REPLICAOF with partial resync, asynchronous. */
class RedisReplicaSetTest extends ReplicaSetScenario {
  @Override
  String datastore() {
    return "redis";
  }

  @Override
  String addressPool() {
    return "127.85";
  }

  @Override
  String initialObjects() {
    return "\"users\":[{\"name\":\"app\",\"password\":\"Secret-1\"}],";
  }

  @Override
  Client client() {
    return new Client() {
      private Jedis connect(String host, int port) {
        return new Jedis(
            new HostAndPort(host, port),
            DefaultJedisClientConfig.builder()
                .user("app")
                .password("Secret-1")
                .connectionTimeoutMillis(2000)
                .socketTimeoutMillis(5000)
                .build());
      }

      @Override
      public void write(String host, int port, long n) {
        try (Jedis jedis = connect(host, port)) {
          jedis.sadd("numbers", Long.toString(n));
        }
      }

      @Override
      public Set<Long> read(String host, int port) {
        Set<Long> numbers = new HashSet<>();
        try (Jedis jedis = connect(host, port)) {
          jedis.smembers("numbers").forEach(s -> numbers.add(Long.parseLong(s)));
        }
        return numbers;
      }
    };
  }
}

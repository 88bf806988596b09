package dev.coffer.server.configurations;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/** Redis: CONFIG SET for dynamic parameters, an included file for the rest. */
class RedisConfigurationGroupTest extends ConfigurationGroupScenario {
  private String rootPassword;

  @Override
  String datastore() {
    return "redis";
  }

  @Override
  String addressPool() {
    return "127.89";
  }

  @Override
  Map.Entry<String, Object> dynamicParameter() {
    return Map.entry("maxmemory-policy", "allkeys-lru");
  }

  @Override
  Map.Entry<String, Object> restartParameter() {
    return Map.entry("databases", 32L);
  }

  /** CONFIG GET as root (enabled through the API once), Redis's own view. */
  @Override
  String engineValue(JsonNode instance, String parameter) {
    if (rootPassword == null) {
      rootPassword =
          coffer
              .post(coffer.v1("/instances/" + instance.path("id").asText() + "/root"), "{}")
              .body()
              .at("/user/password")
              .asText();
    }
    try (Jedis jedis =
        new Jedis(
            new HostAndPort(host(instance), port(instance)),
            DefaultJedisClientConfig.builder().user("root").password(rootPassword).build())) {
      return jedis.configGet(parameter).get(parameter);
    }
  }
}

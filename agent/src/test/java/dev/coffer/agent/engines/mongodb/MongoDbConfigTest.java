package dev.coffer.agent.engines.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.agent.engine.EngineContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rendered mongod.conf and the memory it derives from the flavor. */
class MongoDbConfigTest {

  @Test
  void mongodConfPutsEveryFileInTheInstanceDirectoryAndTurnsAccessControlOn() {
    EngineContext context =
        EngineContext.of(
            "i1",
            "127.88.4.5",
            27018,
            Path.of("/var/lib/coffer/instances/i1"),
            4096,
            Optional.of("coffer"),
            Map.of("server", "/opt/mongodb/bin/mongod"));

    assertThat(MongoDbConfig.of(context).render())
        .isEqualTo(
            """
            # Written by the Coffer agent before every start; edits are overwritten.
            storage:
              dbPath: "/var/lib/coffer/instances/i1/data"
              wiredTiger:
                engineConfig:
                  cacheSizeGB: 1.50
            systemLog:
              destination: file
              path: "/var/lib/coffer/instances/i1/log/mongod.log"
              logAppend: true
            net:
              bindIp: "127.88.4.5"
              port: 27018
              unixDomainSocket:
                enabled: false
            processManagement:
              fork: false
              pidFilePath: "/var/lib/coffer/instances/i1/run/mongod.pid"
            security:
              authorization: enabled
              keyFile: "/var/lib/coffer/instances/i1/run/mongod.keyfile"
            replication:
              replSetName: "coffer"
            """);
  }

  @Test
  void theCacheIsHalfOfTheFlavorsRamAboveOneGigabyteWithMongoDbsFloor() {
    assertThat(MongoDbConfig.cacheSizeGb(256)).isEqualTo(0.25);
    assertThat(MongoDbConfig.cacheSizeGb(1024)).isEqualTo(0.25);
    assertThat(MongoDbConfig.cacheSizeGb(2048)).isEqualTo(0.5);
    assertThat(MongoDbConfig.cacheSizeGb(16384)).isEqualTo(7.5);
    assertThat(MongoDbConfig.cacheSizeGb(3000)).isEqualTo(0.96);
  }

  @Test
  void pathsWithQuotesOrBackslashesStayOneYamlScalar() {
    assertThat(MongoDbConfig.quoted("/a \"b\"\\c")).isEqualTo("\"/a \\\"b\\\"\\\\c\"");
    assertThat(MongoDbConfig.quoted("x\ny")).isEqualTo("\"x\\u000ay\"");
  }
}

package dev.coffer.server;

import dev.coffer.server.alerts.AlertThresholds;
import dev.coffer.server.capacity.CapacitySettings;
import dev.coffer.server.instances.EvaluationPolicy;
import dev.coffer.server.logging.LogSettings;
import dev.coffer.server.quotas.QuotaDefaults;
import dev.coffer.server.tasks.TaskType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Operator settings, from environment variables (see docs/operations.md).
 *
 * @param home state store, instance directories and volumes
 * @param bind address the API listens on
 * @param port API port (0 = any free port, for tests)
 * @param agentJar the guest agent's runnable jar
 * @param stateUrl JDBC URL of a PostgreSQL state store; empty = embedded
 * @param loopVolumes give instances loop-mounted ext4 volumes when running as root
 * @param backupStore where backups go: {@code type=file} (default: {@code <home>/backups}) or
 *     {@code type=s3} with endpoint, region, bucket, access_key, secret_key, path_style
 * @param masterKey base64 master key; empty = kept in {@code <home>/master.key} (created once)
 * @param previousMasterKeys base64 master keys that wrapped backups' data keys before a rotation
 *     (comma-separated in {@code COFFER_PREVIOUS_MASTER_KEYS}); kept to unwrap them
 * @param staleUploadAge incomplete uploads (of writers that died mid-backup) older than this are
 *     removed from the backup store, at start and hourly; longer than any backup may run
 * @param quotaDefaults each project's limits unless an admin set its own
 * @param evaluation lifetime and warning lead of instances of evaluation datastore versions
 * @param alerts thresholds of the built-in alerts ({@code COFFER_ALERT_*})
 * @param capacity volume sampling for capacity forecasts ({@code COFFER_CAPACITY_*})
 * @param logging format of the server's and agents' log lines and an optional server log file
 *     ({@code COFFER_LOG_FORMAT}, {@code COFFER_LOG_FILE})
 */
public record ServerConfig(
    Path home,
    String bind,
    int port,
    Path agentJar,
    Optional<String> stateUrl,
    Optional<String> stateUser,
    Optional<String> statePassword,
    String addressPool,
    boolean loopVolumes,
    Map<String, String> backupStore,
    Optional<String> masterKey,
    List<String> previousMasterKeys,
    Duration staleUploadAge,
    QuotaDefaults quotaDefaults,
    EvaluationPolicy evaluation,
    AlertThresholds alerts,
    CapacitySettings capacity,
    LogSettings logging) {

  /** The default {@link #staleUploadAge}, in hours. */
  public static final int DEFAULT_STALE_UPLOAD_HOURS = 24;

  public static ServerConfig fromEnvironment(Map<String, String> env) {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path defaultHome =
        root
            ? Path.of("/var/lib/coffer")
            : Path.of(System.getProperty("user.home"), ".local", "share", "coffer");
    Path home = Path.of(env.getOrDefault("COFFER_HOME", defaultHome.toString())).toAbsolutePath();
    return new ServerConfig(
        home,
        env.getOrDefault("COFFER_BIND", "127.0.0.1"),
        Integer.parseInt(env.getOrDefault("COFFER_PORT", "8779")),
        Path.of(
                env.getOrDefault(
                    "COFFER_AGENT_JAR",
                    System.getProperty(
                        "coffer.agent.jar", "agent/target/coffer-agent-0.1.0-SNAPSHOT-all.jar")))
            .toAbsolutePath(),
        Optional.ofNullable(env.get("COFFER_STATE_URL")),
        Optional.ofNullable(env.get("COFFER_STATE_USER")),
        Optional.ofNullable(env.get("COFFER_STATE_PASSWORD")),
        env.getOrDefault("COFFER_ADDRESS_POOL", "127.77"),
        !"directory".equals(env.getOrDefault("COFFER_VOLUMES", "loop")),
        backupStore(env),
        Optional.ofNullable(env.get("COFFER_MASTER_KEY")),
        Arrays.stream(env.getOrDefault("COFFER_PREVIOUS_MASTER_KEYS", "").split(","))
            .map(String::strip)
            .filter(k -> !k.isEmpty())
            .toList(),
        staleUploadAge(env),
        QuotaDefaults.fromEnvironment(env),
        EvaluationPolicy.fromEnvironment(env),
        AlertThresholds.fromEnvironment(env),
        CapacitySettings.fromEnvironment(env),
        LogSettings.fromEnvironment(env, home));
  }

  private static Duration staleUploadAge(Map<String, String> env) {
    String variable = "COFFER_BACKUP_STALE_UPLOAD_HOURS";
    String value = env.getOrDefault(variable, Integer.toString(DEFAULT_STALE_UPLOAD_HOURS)).strip();
    // A backup may run this long; purging younger uploads would cut running backups off.
    long longestBackupHours = TaskType.BACKUP_INSTANCE.timeout().toHours();
    if (!value.matches("\\d{1,6}") || Long.parseLong(value) <= longestBackupHours) {
      throw new IllegalArgumentException(
          variable
              + " must be a whole number of hours greater than "
              + longestBackupHours
              + " (the longest a backup may run), not '"
              + value
              + "'");
    }
    return Duration.ofHours(Long.parseLong(value));
  }

  private static Map<String, String> backupStore(Map<String, String> env) {
    Map<String, String> store = new java.util.TreeMap<>();
    store.put("type", env.getOrDefault("COFFER_BACKUP_STORE", "file"));
    Map.of(
            "COFFER_BACKUP_PATH", "path",
            "COFFER_S3_ENDPOINT", "endpoint",
            "COFFER_S3_REGION", "region",
            "COFFER_S3_BUCKET", "bucket",
            "COFFER_S3_ACCESS_KEY", "access_key",
            "COFFER_S3_SECRET_KEY", "secret_key",
            "COFFER_S3_PATH_STYLE", "path_style")
        .forEach(
            (variable, key) -> {
              if (env.containsKey(variable)) {
                store.put(key, env.get(variable));
              }
            });
    return store;
  }

  public ServerConfig withPort(int newPort) {
    return new ServerConfig(
        home,
        bind,
        newPort,
        agentJar,
        stateUrl,
        stateUser,
        statePassword,
        addressPool,
        loopVolumes,
        backupStore,
        masterKey,
        previousMasterKeys,
        staleUploadAge,
        quotaDefaults,
        evaluation,
        alerts,
        capacity,
        logging);
  }
}

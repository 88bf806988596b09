package dev.coffer.agent.engine;

/**
 * Optional engine capability: brings data last run by another version of the datastore to this
 * version's format (MariaDB's {@code mariadb-upgrade}, PostgreSQL's {@code pg_upgrade} across
 * majors). The agent checks with {@code instanceof}; an engine without it (Redis: newer servers
 * read older RDB/AOF files) just starts on the old data.
 *
 * <p>The agent calls {@link #upgradeFrom} with the engine stopped, before starting it, whenever the
 * data directory's {@link DataVersion} names another version than the one the agent runs. Once it
 * returns the agent starts the engine (adopting it if the upgrade left it running) and records the
 * new version; if it throws, the record keeps the old version, so a later start (or a rollback to
 * the old version) sees the data as it was.
 */
public interface UpgradableEngine {

  /**
   * Upgrades the data from {@code previous}: idempotent, because a crash may interrupt it and the
   * next start calls it again. May leave the engine running.
   */
  void upgradeFrom(DataVersion previous);
}

package dev.coffer.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The control plane's database: an embedded H2 file by default, PostgreSQL when a JDBC URL is
 * given. Migrations run at start; repositories receive the {@link Jdbi} and keep all SQL.
 */
public final class StateStore implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final Jdbi jdbi;

  private StateStore(HikariDataSource dataSource) {
    this.dataSource = dataSource;
    Flyway.configure().dataSource(dataSource).load().migrate();
    this.jdbi = Jdbi.create(dataSource);
  }

  /**
   * An embedded store in {@code dir}; survives restarts. Every commit reaches the file before the
   * call returns (no write delay), so a SIGKILL never loses an acknowledged request. The {@code
   * retry:} file system reopens the file when a thread is interrupted mid-write (as workers are
   * when the server stops): a plain FileChannel would close and take the database down with it.
   */
  public static StateStore embedded(Path dir) {
    return open(embeddedUrl(dir), "coffer", "");
  }

  /** The JDBC URL of the embedded store in {@code dir} (the same URL shares the open database). */
  public static String embeddedUrl(Path dir) {
    return "jdbc:h2:retry:"
        + dir.resolve("coffer").toAbsolutePath()
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH"
        + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
  }

  public static StateStore open(String jdbcUrl, String user, String password) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(10);
    config.setPoolName("coffer-state");
    return new StateStore(new HikariDataSource(config));
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}

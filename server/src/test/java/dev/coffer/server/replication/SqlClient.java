package dev.coffer.server.replication;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/** Numbered rows in table {@code t} of one database, as the tenant user, over JDBC. */
final class SqlClient implements ReplicaSetScenario.Client {
  private final String scheme;
  private final String database;
  private final String user;
  private final String password;

  SqlClient(String scheme, String database, String user, String password) {
    this.scheme = scheme;
    this.database = database;
    this.user = user;
    this.password = password;
  }

  private Connection connect(String host, int port) throws Exception {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("connectTimeout", scheme.contains("mariadb") ? "2000" : "2");
    return DriverManager.getConnection(scheme + host + ":" + port + "/" + database, p);
  }

  @Override
  public void setUp(String host, int port) throws Exception {
    try (Connection c = connect(host, port);
        Statement s = c.createStatement()) {
      s.execute("create table t (n bigint primary key)");
    }
  }

  @Override
  public void write(String host, int port, long n) throws Exception {
    try (Connection c = connect(host, port);
        Statement s = c.createStatement()) {
      s.execute("insert into t values (" + n + ")");
    }
  }

  @Override
  public Set<Long> read(String host, int port) throws Exception {
    Set<Long> rows = new HashSet<>();
    try (Connection c = connect(host, port);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select n from t")) {
      while (rs.next()) {
        rows.add(rs.getLong(1));
      }
    }
    return rows;
  }
}

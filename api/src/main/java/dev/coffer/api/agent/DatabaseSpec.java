package dev.coffer.api.agent;

/** A database (schema, keyspace) on an instance. Character set and collation may be null. */
public record DatabaseSpec(String name, String characterSet, String collate) {
  public static DatabaseSpec named(String name) {
    return new DatabaseSpec(name, null, null);
  }
}

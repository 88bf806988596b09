package dev.coffer.server.datastores;

/** Which projects a datastore version is offered to (admins always see every version). */
public enum Visibility {
  /** Every project. */
  PUBLIC,
  /** Only the projects listed for the version. */
  PROJECTS
}

package dev.coffer.server.datastores;

/** How a datastore version is offered. */
public enum VersionState {
  /** Listed and usable for new instances. */
  ACTIVE,
  /** Listed (active=0) so existing instances make sense; refused for new instances. */
  DEPRECATED,
  /** Not listed to members and refused for new instances. */
  HIDDEN,
  /**
   * Listed and usable, but only for instances that expire: each new instance gets an expiry time
   * (the operator's evaluation TTL) and is backed up and deleted then.
   */
  EVALUATION
}

package dev.coffer.server.quotas;

/**
 * A project's use of one resource against its limit.
 *
 * @param limit the hard limit; {@value ProjectQuotas#UNLIMITED} means none
 */
public record QuotaUsage(Resource resource, long inUse, int limit) {
  public boolean allows(long more) {
    return limit == ProjectQuotas.UNLIMITED || inUse + more <= limit;
  }
}

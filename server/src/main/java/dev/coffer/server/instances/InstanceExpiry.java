package dev.coffer.server.instances;

import dev.coffer.server.datastores.DatastoreVersion;
import dev.coffer.server.datastores.VersionState;
import dev.coffer.server.http.ApiException;
import dev.coffer.server.http.Fields;
import dev.coffer.server.identity.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which instances expire and when: every instance of an {@code evaluation} version (after the
 * operator's TTL, or sooner if asked), and any other instance whose creator asked for an expiry. An
 * admin can extend an expiry; the {@link ExpiryMonitor} warns and expires.
 */
public final class InstanceExpiry {
  private static final Logger log = LoggerFactory.getLogger(InstanceExpiry.class);

  /** The longest expiry a caller may ask for on a version that does not require one: a year. */
  static final int MAX_REQUESTED_HOURS = 8760;

  private final ExpiryRepository expiries;
  private final EvaluationPolicy policy;

  public InstanceExpiry(ExpiryRepository expiries, EvaluationPolicy policy) {
    this.expiries = expiries;
    this.policy = policy;
  }

  public EvaluationPolicy policy() {
    return policy;
  }

  /**
   * When a new instance of {@code version} expires: required for evaluation versions (the
   * operator's TTL, or {@code requestedHours} if shorter; longer is a 400 naming the field),
   * optional otherwise.
   */
  public Optional<Instant> expiryFor(
      DatastoreVersion version, Optional<Integer> requestedHours, Instant now) {
    String field = "instance['expires_in_hours']";
    if (version.state() != VersionState.EVALUATION) {
      return requestedHours.map(h -> now.plus(Duration.ofHours(h)));
    }
    if (requestedHours.isPresent()) {
      Duration asked = Duration.ofHours(requestedHours.get());
      if (asked.compareTo(policy.ttl()) > 0) {
        throw Fields.invalid(
            field,
            "must be at most the evaluation lifetime of "
                + describe(policy.ttl())
                + " for datastore version '"
                + version.name()
                + "'");
      }
      return Optional.of(now.plus(asked));
    }
    return Optional.of(now.plus(policy.ttl()));
  }

  /** Records the new instance's expiry (in the transaction that inserts it). */
  void record(Instance created, Optional<Instant> expiresAt) {
    expiresAt.ifPresent(
        at -> {
          expiries.setExpiry(created.id(), at);
          log.info(
              "event=instance_expiry_set instance={} project={} expires_at={}",
              created.id(),
              created.projectId(),
              at);
        });
  }

  public Optional<Expiry> of(Instance instance) {
    return expiries.find(instance.id());
  }

  /**
   * An admin's extension: the expiry moves {@code hours} past the later of now and the current
   * expiry, and its warning and expiry start over (a failed expiry may be retried this way).
   */
  public Instant extend(Principal principal, Instance instance, int hours) {
    if (!principal.isAdmin()) {
      throw new ApiException.Forbidden("Policy doesn't allow instance:extend to be performed.");
    }
    Expiry expiry =
        expiries
            .find(instance.id())
            .orElseThrow(
                () ->
                    new ApiException.BadRequest(
                        "Instance " + instance.id() + " does not expire; nothing to extend."));
    if (Expiry.EXPIRING.equals(expiry.state()) && expiry.backupId() != null) {
      // The backup is taken; letting the delete go ahead would surprise the admin less than a
      // half-undone expiry, so the extension is refused until the instance is gone or kept.
      throw new ApiException.UnprocessableEntity(
          "Instance "
              + instance.id()
              + " is expiring now (its final backup "
              + expiry.backupId()
              + " is under way); it can no longer be extended.");
    }
    Instant now = Instant.now();
    Instant base = expiry.expiresAt().isAfter(now) ? expiry.expiresAt() : now;
    Instant next = base.plus(Duration.ofHours(hours));
    expiries.setExpiry(instance.id(), next);
    log.info(
        "event=instance_expiry_extended instance={} project={} expires_at={} by={}",
        instance.id(),
        instance.projectId(),
        next,
        principal.userName());
    return next;
  }

  static String describe(Duration d) {
    if (d.toSeconds() % 3600 == 0) {
      return d.toHours() + " hours";
    }
    return d.toSeconds() + " seconds";
  }
}

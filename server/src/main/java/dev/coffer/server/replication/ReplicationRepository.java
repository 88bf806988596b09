package dev.coffer.server.replication;

import dev.coffer.api.agent.ReplicationStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Storage of replication sets, their members and their history. */
public interface ReplicationRepository {
  void insertSet(ReplicaSet set);

  Optional<ReplicaSet> findSet(String setId);

  List<ReplicaSet> sets();

  void setPrimary(String setId, String primaryId);

  void setPolicy(String setId, boolean autoFailover, int failoverAfterSeconds, int maxLagSeconds);

  void setEndpointPort(String setId, int port);

  void deleteSet(String setId);

  /** Adds the instance to the set, or changes whom it follows. */
  void putMember(String instanceId, String setId, String replicaOf);

  Optional<ReplicaMember> findMember(String instanceId);

  List<ReplicaMember> members(String setId);

  void setNeedsRejoin(String instanceId, boolean needsRejoin);

  void removeMember(String instanceId);

  /** What the instance's agent reported in its latest heartbeat; no-op if it is in no set. */
  void recordStatus(String instanceId, ReplicationStatus status, Instant at);

  void addEvent(ReplicationEvent event);

  /** The set's events, newest first. */
  List<ReplicationEvent> events(String setId, int limit);
}

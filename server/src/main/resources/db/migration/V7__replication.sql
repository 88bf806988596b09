-- A replication set: one primary and its replicas. The set outlives switchovers and failovers (its
-- primary changes); the replication account's password is wrapped by the master key like a backup's
-- data key. The endpoint port is the stable "current primary" address the control plane publishes.
create table replica_sets (
  id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  primary_id varchar(36) not null,
  wrapped_password varchar(1000) not null,
  synchronous boolean not null,
  auto_failover boolean not null,
  failover_after_seconds int not null,
  max_lag_seconds int not null,
  endpoint_port int,
  created_at timestamp not null
);

-- Each instance that belongs to a set, and what its agent last said about its replication.
create table replica_members (
  instance_id varchar(36) primary key,
  set_id varchar(36) not null references replica_sets(id),
  replica_of varchar(36),
  needs_rejoin boolean not null,
  role varchar(16),
  connected boolean,
  lag_seconds double precision,
  position varchar(4000),
  progress bigint,
  reported_at timestamp
);

-- Switchovers, failovers, ejections, detaches and rejoins, newest last: the set's history.
create table replication_events (
  id varchar(36) primary key,
  set_id varchar(36) not null references replica_sets(id),
  at timestamp not null,
  kind varchar(32) not null,
  old_primary varchar(36),
  new_primary varchar(36),
  detail varchar(2000)
);
create index replication_events_by_set on replication_events (set_id, at);

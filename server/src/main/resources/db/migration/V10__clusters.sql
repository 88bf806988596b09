-- Clusters (Trove's cluster API): a set of ordinary instances, each with the cluster's id.
create table clusters (
  id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  name varchar(255) not null,
  datastore_version_id varchar(36) not null references datastore_versions(id),
  task varchar(32) not null,
  -- engine options of the cluster (Trove's extended_properties), JSON; never secrets
  options varchar(4000) not null,
  -- the members' shared secret, wrapped with the master key like a backup's data key
  wrapped_secret varchar(1000) not null,
  fault_message varchar(2000),
  created_at timestamp not null,
  updated_at timestamp not null,
  deleted_at timestamp
);
create index clusters_project on clusters(project_id, deleted_at);

alter table instances add column cluster_id varchar(36);
alter table instances add column cluster_type varchar(32);
create index instances_cluster on instances(cluster_id);

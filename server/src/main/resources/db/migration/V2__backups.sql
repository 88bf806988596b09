create table backups (
  id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  instance_id varchar(36) not null,
  name varchar(255) not null,
  description varchar(2000),
  datastore_version_id varchar(36) not null references datastore_versions(id),
  parent_id varchar(36),
  status varchar(16) not null,
  size_bytes bigint,
  plain_bytes bigint,
  checksum varchar(64),
  object_key varchar(500) not null,
  location_ref varchar(1000),
  wrapped_key varchar(1000),
  manifest text,
  fault_message varchar(2000),
  verified_at timestamp,
  restore_seconds double precision,
  created_at timestamp not null,
  updated_at timestamp not null,
  deleted_at timestamp
);
create index backups_project on backups(project_id, deleted_at, created_at);
create index backups_instance on backups(instance_id, status);

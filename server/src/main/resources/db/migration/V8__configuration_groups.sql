-- Trove configuration groups: named sets of engine parameter values for one datastore version,
-- attached to instances. Values are a JSON object (numbers, booleans and strings as the client
-- sent them, validated against the engine's parameter catalog).
create table configuration_groups (
  id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  name varchar(255) not null,
  description varchar(255),
  datastore_version_id varchar(36) not null references datastore_versions(id),
  values_json varchar(20000) not null,
  created_at timestamp not null,
  updated_at timestamp not null
);

-- Which group each instance has, and whether some of its values wait for a restart.
create table instance_configurations (
  instance_id varchar(36) primary key,
  configuration_id varchar(36) references configuration_groups(id),
  restart_pending boolean not null
);

-- Portable SQL (H2 in PostgreSQL mode and PostgreSQL): the same migrations serve both stores.

create table projects (
  id varchar(32) primary key,
  name varchar(255) not null unique,
  created_at timestamp not null
);

create table user_accounts (
  id varchar(32) primary key,
  name varchar(255) not null unique,
  password_hash varchar(255) not null,
  created_at timestamp not null
);

create table memberships (
  user_id varchar(32) not null references user_accounts(id),
  project_id varchar(32) not null references projects(id),
  role varchar(16) not null,
  primary key (user_id, project_id)
);

create table tokens (
  id varchar(36) primary key,
  secret_hash varchar(64) not null unique,
  user_id varchar(32) not null references user_accounts(id),
  project_id varchar(32) not null references projects(id),
  description varchar(255),
  created_at timestamp not null,
  expires_at timestamp not null,
  revoked_at timestamp
);

create table datastores (
  id varchar(36) primary key,
  name varchar(64) not null unique,
  default_version_id varchar(36)
);

create table datastore_versions (
  id varchar(36) primary key,
  datastore_id varchar(36) not null references datastores(id),
  name varchar(64) not null,
  full_version varchar(128),
  binaries varchar(4000) not null,
  state varchar(16) not null,
  installed boolean not null,
  unique (datastore_id, name)
);

create table instances (
  id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  name varchar(255) not null,
  datastore_version_id varchar(36) not null references datastore_versions(id),
  flavor_id varchar(32) not null,
  volume_size integer not null,
  volume_used_bytes bigint,
  address varchar(15) unique,
  port integer,
  is_public boolean not null,
  allowed_cidrs varchar(4000) not null,
  task_status varchar(32) not null,
  service_status varchar(32) not null,
  service_status_updated timestamp not null,
  heartbeat_at timestamp,
  fault_message varchar(2000),
  fault_at timestamp,
  agent_secret_hash varchar(64),
  created_at timestamp not null,
  updated_at timestamp not null,
  deleted_at timestamp
);
create index instances_project on instances(project_id, deleted_at);

create table tasks (
  id varchar(36) primary key,
  type varchar(32) not null,
  instance_id varchar(36) not null,
  state varchar(16) not null,
  attempts integer not null,
  max_attempts integer not null,
  next_run_at timestamp not null,
  deadline timestamp not null,
  last_error varchar(2000),
  payload text,
  created_at timestamp not null,
  updated_at timestamp not null
);
create index tasks_state on tasks(state, next_run_at);

create table agent_commands (
  id varchar(80) primary key,
  instance_id varchar(36) not null,
  type varchar(32) not null,
  payload text,
  state varchar(16) not null,
  result text,
  error_kind varchar(32),
  error varchar(2000),
  created_at timestamp not null,
  delivered_at timestamp,
  completed_at timestamp
);
create index agent_commands_instance on agent_commands(instance_id, state, created_at);

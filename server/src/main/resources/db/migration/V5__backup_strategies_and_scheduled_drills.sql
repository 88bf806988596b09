-- Trove's backup strategies: the container later backups of an instance, or of the whole project
-- (instance_id = ''), are written to. One per (project, instance).
create table backup_strategies (
  project_id varchar(32) not null references projects(id),
  instance_id varchar(36) not null,
  container varchar(128) not null,
  created_at timestamp not null,
  updated_at timestamp not null,
  primary key (project_id, instance_id)
);

-- A schedule may ask that each backup it takes be verified by a restore drill.
alter table backup_schedules add column verify boolean default false not null;

-- Scheduled backups waiting to complete before their restore drill starts.
create table scheduled_drills (
  backup_id varchar(36) primary key,
  instance_id varchar(36) not null,
  requested_at timestamp not null
);

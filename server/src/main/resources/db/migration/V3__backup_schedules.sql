create table backup_schedules (
  instance_id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  cron varchar(120) not null,
  incremental boolean not null,
  keep_last integer not null,
  keep_daily integer not null,
  keep_weekly integer not null,
  keep_monthly integer not null,
  next_run_at timestamp not null,
  created_at timestamp not null,
  updated_at timestamp not null
);

alter table backups add column scheduled boolean default false not null;

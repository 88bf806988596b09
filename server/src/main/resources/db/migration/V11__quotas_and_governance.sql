-- Per-project quotas (Trove's /mgmt/quotas): a row overrides the operator's default limit.
create table project_quotas (
  project_id varchar(32) not null references projects(id),
  -- instances, volumes (GB), backups or clusters
  resource varchar(16) not null,
  -- -1: no limit
  hard_limit integer not null,
  primary key (project_id, resource)
);

-- Datastore governance: a version is offered to every project or only to listed ones.
alter table datastore_versions add column visibility varchar(16) default 'PUBLIC' not null;
create table datastore_version_projects (
  version_id varchar(36) not null references datastore_versions(id),
  project_id varchar(32) not null references projects(id),
  primary key (version_id, project_id)
);

-- Expiring instances (of evaluation versions): when, whether warned, and the backup taken at
-- expiry (recorded before the instance is deleted, so a restart never loses or doubles it).
alter table instances add column expires_at timestamp;
alter table instances add column expiry_warned_at timestamp;
alter table instances add column expiry_backup_id varchar(36);
-- null (pending), EXPIRING (task running) or FAILED (backup failed: kept, not deleted)
alter table instances add column expiry_state varchar(16);
create index instances_expiry on instances(expires_at);

-- Each instance whose engine archives its change log (PostgreSQL WAL) for point-in-time recovery.
-- Rows outlive their instance: the archive stays restorable while the instance's backups exist.
create table log_archives (
  instance_id varchar(36) primary key,
  project_id varchar(32) not null references projects(id),
  object_prefix varchar(500) not null,
  wrapped_key varchar(1000) not null,
  archived_until timestamp,
  created_at timestamp not null
);

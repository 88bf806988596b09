-- An instance with deletion protection refuses DELETE until the flag is turned off (like RDS).
alter table instances add column deletion_protection boolean default false not null;

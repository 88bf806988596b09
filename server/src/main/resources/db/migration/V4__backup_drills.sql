alter table backups add column verify_report varchar(2000);

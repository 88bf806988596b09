-- Volume usage over time, for capacity forecasts: at most one sample per instance per sampling
-- interval, older samples pruned after the retention period.
create table volume_samples (
  instance_id varchar(36) not null,
  sampled_at timestamp not null,
  used_bytes bigint not null,
  primary key (instance_id, sampled_at)
);

-- Alerts that are firing now: kept so that an alert is announced once when it starts and once
-- when it clears, also across restarts of the control plane.
create table active_alerts (
  instance_id varchar(36) not null,
  kind varchar(32) not null,
  project_id varchar(32) not null,
  message varchar(1000) not null,
  started_at timestamp not null,
  primary key (instance_id, kind)
);

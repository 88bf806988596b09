#!/usr/bin/env bash
# Backup and restore benchmark: Coffer's backup (POST /backups until COMPLETED) and restore (POST
# /instances with a restorePoint until ACTIVE) of a ~1 GB dataset, next to the engine's own tool on
# the same data in the same run (its output piped to a file; restored by hand). See bench/README.md.
#
#   bench/backup.sh                 start a private Coffer server, measure every engine, stop it
#   bench/backup.sh --running       measure against the server of `./coffer up --background`
#   options: -n RUNS (3)  --size-mb MB (1024)  --engines mariadb,postgresql,redis
#            --output FILE (docs/benchmarks.md; only its "backup" section is rewritten)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

RUNS=3
SIZE_MB=1024
ENGINES=(mariadb postgresql redis)
MODE=own # own | running
OUTPUT=$ROOT/docs/benchmarks.md
# m1.xlarge: a 1 GB Redis data set needs room under maxmemory (75 % of the flavor's RAM).
FLAVOR=${BENCH_BACKUP_FLAVOR:-5}
VOLUME_GB=${BENCH_BACKUP_VOLUME_GB:-5}
# A backup or restore of a large data set on a busy machine may take minutes.
STEP_TIMEOUT_SECONDS=${BENCH_BACKUP_TIMEOUT:-1800}
# The user the data is loaded as, created with the instance; the agent's own admin account (the
# one its backups use) is what the raw tools log in as.
BENCH_USER=bench
ADMIN_USER=os_admin

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -n | --runs)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "-n needs a positive number of runs."
      RUNS=$2
      shift
      ;;
    --size-mb)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--size-mb needs a positive number of megabytes."
      SIZE_MB=$2
      shift
      ;;
    --engines)
      IFS=, read -r -a ENGINES <<<"${2:-}"
      [[ ${#ENGINES[@]} -gt 0 ]] || die "--engines needs a list such as mariadb,postgresql,redis."
      shift
      ;;
    --output)
      [[ -n ${2:-} ]] || die "--output needs a file name."
      OUTPUT=$(readlink -m "$2")
      shift
      ;;
    --running) MODE=running ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown option: $1" ;;
  esac
  shift
done

for engine in "${ENGINES[@]}"; do
  case $engine in
    mariadb | postgresql | redis) ;;
    *) die "unknown engine '$engine' (known: mariadb, postgresql, redis)." ;;
  esac
done
# The raw tools read the instance's files and log in with the agent's admin password, which only
# root can read; the private server needs root for its loop-mounted volumes anyway.
is_root || die "run it as root (sudo bench/backup.sh): the raw tools read the instance's files."

# ---- results -------------------------------------------------------------------------------------

# Per engine, space-separated samples; one entry per run. Read and written through namerefs.
# shellcheck disable=SC2034
# The phases are where Coffer's time goes, from the agents' logs (coffer_backup, coffer_restore).
declare -A DATASET_BYTES STORED_BYTES ROWS \
  COFFER_BACKUP RAW_BACKUP RAW_BACKUP_SYNC COFFER_RESTORE RAW_RESTORE \
  BACKUP_DISPATCH BACKUP_AGENT BACKUP_REPORT \
  RESTORE_PLACE RESTORE_COMMAND RESTORE_INIT RESTORE_DATA RESTORE_START RESTORE_REPORT

add_sample() {
  local -n samples=$1
  samples[$2]="${samples[$2]:-}${samples[$2]:+ }$3"
}

# The last measurement, in seconds. Measuring functions set it rather than print it: they run in
# this shell (not in a $(...) subshell) so that cleanup knows about every process and instance.
SAMPLE=''

# ---- the instance under test ---------------------------------------------------------------------

INSTANCE=''      # its id
INSTANCE_HOST='' # its engine's address and port
INSTANCE_PORT=''
INSTANCE_DIR='' # $SERVER_HOME/instances/<id>
BENCH_PASSWORD=''

# Letters and digits (nothing to quote anywhere), with both cases and a digit for password rules.
new_password() {
  printf 'Bx7%s' "$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
}

# POSTs an instance body and waits until it is ACTIVE; sets NEW_* from its endpoint.
NEW_ID=''
NEW_HOST=''
NEW_PORT=''
create_instance() {
  local engine=$1 body=$2 reply id
  reply=$(api POST /instances "$body")
  split_reply "$reply"
  [[ $REPLY_CODE == 200 || $REPLY_CODE == 202 ]] || {
    say "bench: POST /instances for $engine answered HTTP $REPLY_CODE: $REPLY_BODY"
    return 1
  }
  id=$(printf '%s' "$REPLY_BODY" | json_field instance.id)
  [[ -n $id ]] || {
    say "bench: POST /instances for $engine answered without instance.id: $REPLY_BODY"
    return 1
  }
  CREATED_INSTANCES+=("$id")
  await_status "/instances/$id" instance.status ACTIVE "$STEP_TIMEOUT_SECONDS" || return 1
  NEW_ID=$id
  NEW_HOST=$(printf '%s' "$REPLY_BODY" | json_field instance.endpoint.host)
  NEW_PORT=$(printf '%s' "$REPLY_BODY" | json_field instance.endpoint.port)
}

# The instance the data is loaded into, with the user bench (and its database bench, where the
# engine has databases).
create_source_instance() {
  local engine=$1 databases='' body
  BENCH_PASSWORD=$(new_password)
  if [[ $engine != redis ]]; then
    databases=',"databases":[{"name":"bench"}]'
  fi
  body=$(printf '{"instance":{"name":"bench-%s-%s","flavorRef":"%s","volume":{"size":%d},"datastore":{"type":"%s"}%s,"users":[{"name":"%s","password":"%s"%s}]}}' \
    "$engine" "$RANDOM" "$FLAVOR" "$VOLUME_GB" "$engine" "$databases" "$BENCH_USER" "$BENCH_PASSWORD" "$databases")
  create_instance "$engine" "$body" || return 1
  INSTANCE=$NEW_ID
  INSTANCE_HOST=$NEW_HOST
  INSTANCE_PORT=$NEW_PORT
  INSTANCE_DIR=$SERVER_HOME/instances/$NEW_ID
}

# Restarts the instance through the API, so that every run starts from flushed, checkpointed data
# files: otherwise the first backup after the load (Coffer's) would pay for flushing the load.
settle_instance() {
  local reply
  reply=$(api POST "/instances/$INSTANCE/action" '{"restart":{}}')
  split_reply "$reply"
  [[ $REPLY_CODE == 202 ]] || {
    say "bench: restart of $INSTANCE answered HTTP $REPLY_CODE: $REPLY_BODY"
    return 1
  }
  await_status "/instances/$INSTANCE" instance.status ACTIVE "$STEP_TIMEOUT_SECONDS"
}

admin_password() {
  cat "$INSTANCE_DIR/agent/admin.secret"
}

# A file only the engine user can read (0600): how passwords reach the tools, never argv.
private_file() {
  local file=$1
  (umask 077 && cat >"$file")
  chown "$RUN_AS:" "$file"
}

# ---- loading ~SIZE_MB of rows --------------------------------------------------------------------

# Rows of a bigint key, an int and 128 hex characters: real rows that compress about 2:1, like
# typical text-heavy tables (not zeros, not random bytes). The sizes are bytes of the engine's
# backup stream per row or key, measured, so that SIZE_MB asks for a stream of about that size.
MARIADB_BYTES_PER_ROW=195
POSTGRESQL_BYTES_PER_ROW=207
REDIS_VALUE_BYTES=1000
LOAD_BATCH_ROWS=250000

mariadb_client() {
  local host=$1 port=$2
  shift 2
  printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\n' "$BENCH_USER" "$BENCH_PASSWORD" "$host" "$port" |
    private_file "$BENCH_DIR/client.cnf"
  mariadb --defaults-extra-file="$BENCH_DIR/client.cnf" --protocol=tcp "$@"
}

psql_client() {
  local host=$1 port=$2
  shift 2
  printf '*:*:*:%s:%s\n' "$BENCH_USER" "$BENCH_PASSWORD" | private_file "$BENCH_DIR/client.pgpass"
  PGPASSFILE=$BENCH_DIR/client.pgpass "$PG_BIN/psql" --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
    --host="$host" --port="$port" --username="$BENCH_USER" --dbname=bench "$@"
}

# redis-cli as the bench user (password from the environment), or with no user for a raw server.
redis_client() {
  local host=$1 port=$2 user=${3:-}
  shift 3
  if [[ -n $user ]]; then
    REDISCLI_AUTH=$BENCH_PASSWORD redis-cli --no-auth-warning -h "$host" -p "$port" --user "$user" "$@"
  else
    redis-cli -h "$host" -p "$port" "$@"
  fi
}

load_mariadb() {
  local rows=$1 first last
  {
    echo 'CREATE TABLE t (id BIGINT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(255) NOT NULL) ENGINE=InnoDB;'
    for ((first = 1; first <= rows; first += LOAD_BATCH_ROWS)); do
      last=$((first + LOAD_BATCH_ROWS - 1 < rows ? first + LOAD_BATCH_ROWS - 1 : rows))
      # seq_A_to_B is MariaDB's Sequence engine: the rows are generated inside the server.
      echo "INSERT INTO t SELECT seq, FLOOR(RAND() * 1e9), CONCAT(MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND())) FROM seq_${first}_to_${last};"
    done
  } | mariadb_client "$INSTANCE_HOST" "$INSTANCE_PORT" bench
}

load_postgresql() {
  local rows=$1 first last
  {
    echo 'CREATE TABLE t (id bigint PRIMARY KEY, n int NOT NULL, pad text NOT NULL);'
    for ((first = 1; first <= rows; first += LOAD_BATCH_ROWS)); do
      last=$((first + LOAD_BATCH_ROWS - 1 < rows ? first + LOAD_BATCH_ROWS - 1 : rows))
      echo "INSERT INTO t SELECT g, (random() * 1e9)::int, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series($first, $last) g;"
    done
  } | psql_client "$INSTANCE_HOST" "$INSTANCE_PORT"
}

# SET key:N <hex of random bytes>, generated as Redis protocol and piped in with redis-cli --pipe.
load_redis() {
  local keys=$1
  python3 - "$keys" "$REDIS_VALUE_BYTES" <<'EOF' | redis_client "$INSTANCE_HOST" "$INSTANCE_PORT" "$BENCH_USER" --pipe >/dev/null
import os, sys
keys, size = int(sys.argv[1]), int(sys.argv[2])
out, batch = sys.stdout.buffer, []
for i in range(keys):
    key, value = b"key:%d" % i, os.urandom(size // 2).hex().encode()
    batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    if len(batch) == 1000:
        out.write(b"".join(batch))
        batch = []
out.write(b"".join(batch))
EOF
}

rows_for_size() {
  case $1 in
    mariadb) echo $((SIZE_MB * 1000000 / MARIADB_BYTES_PER_ROW)) ;;
    postgresql) echo $((SIZE_MB * 1000000 / POSTGRESQL_BYTES_PER_ROW)) ;;
    redis) echo $((SIZE_MB * 1000000 / REDIS_VALUE_BYTES)) ;;
  esac
}

# Rows (or keys) a server holds, read as the bench user: proves a restore brought the data back.
count_rows() {
  local engine=$1 host=$2 port=$3 user=${4-$BENCH_USER}
  case $engine in
    mariadb) mariadb_client "$host" "$port" --batch --skip-column-names bench -e 'SELECT COUNT(*) FROM t' ;;
    postgresql) psql_client "$host" "$port" --tuples-only --no-align -c 'SELECT count(*) FROM t' ;;
    redis) redis_client "$host" "$port" "$user" dbsize ;;
  esac
}

# ---- Coffer's backup and restore -----------------------------------------------------------------

BACKUP_ID=''

# Epoch seconds of the first line of an agent log at or after AFTER (epoch seconds) that matches the
# extended regular expression; empty when there is none.
log_time() {
  python3 - "$@" <<'EOF'
import re, sys, datetime
path, after, pattern = sys.argv[1], float(sys.argv[2]), re.compile(sys.argv[3])
for line in open(path, encoding="utf-8", errors="replace"):
    if not pattern.search(line):
        continue
    stamp = datetime.datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    seconds = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
    if seconds >= after - 0.001:
        print(f"{seconds:.3f}")
        break
EOF
}

coffer_backup() {
  local engine=$1 log=$INSTANCE_DIR/agent.log body reply t0 t1 received finished
  body=$(printf '{"backup":{"name":"bench-%s-%s","instance":"%s"}}' "$engine" "$RANDOM" "$INSTANCE")
  t0=$(now)
  reply=$(api POST /backups "$body")
  split_reply "$reply"
  [[ $REPLY_CODE == 202 || $REPLY_CODE == 200 ]] || {
    say "bench: POST /backups answered HTTP $REPLY_CODE: $REPLY_BODY"
    return 1
  }
  BACKUP_ID=$(printf '%s' "$REPLY_BODY" | json_field backup.id)
  await_status "/backups/$BACKUP_ID" backup.status COMPLETED "$STEP_TIMEOUT_SECONDS" || return 1
  t1=$(now)
  SAMPLE=$(seconds_between "$t0" "$t1")
  add_sample COFFER_BACKUP "$engine" "$SAMPLE"
  add_sample STORED_BYTES "$engine" "$(printf '%s' "$REPLY_BODY" | json_field backup.size_bytes)"
  received=$(log_time "$log" "$t0" 'command received type=BACKUP')
  finished=$(log_time "$log" "$t0" 'command done type=BACKUP')
  if [[ -n $received && -n $finished ]]; then
    add_sample BACKUP_DISPATCH "$engine" "$(seconds_between "$t0" "$received")"
    add_sample BACKUP_AGENT "$engine" "$(seconds_between "$received" "$finished")"
    add_sample BACKUP_REPORT "$engine" "$(seconds_between "$finished" "$t1")"
  fi
}

# A new instance from the backup; checks its rows, then deletes it.
coffer_restore() {
  local engine=$1 body t0 t1 log rows
  body=$(printf '{"instance":{"name":"bench-%s-restore-%s","flavorRef":"%s","volume":{"size":%d},"restorePoint":{"backupRef":"%s"}}}' \
    "$engine" "$RANDOM" "$FLAVOR" "$VOLUME_GB" "$BACKUP_ID")
  t0=$(now)
  create_instance "$engine" "$body" || return 1
  t1=$(now)
  SAMPLE=$(seconds_between "$t0" "$t1")
  log=$SERVER_HOME/instances/$NEW_ID/agent.log
  local started received initialised restored finished
  started=$(log_time "$log" "$t0" 'agent starting')
  received=$(log_time "$log" "$t0" 'command received type=PREPARE')
  initialised=$(log_time "$log" "$t0" 'initiali[sz]ed')
  restored=$(log_time "$log" "$t0" 'restored backups=')
  finished=$(log_time "$log" "$t0" 'command done type=PREPARE')
  if [[ -n $started && -n $received && -n $initialised && -n $restored && -n $finished ]]; then
    add_sample RESTORE_PLACE "$engine" "$(seconds_between "$t0" "$started")"
    add_sample RESTORE_COMMAND "$engine" "$(seconds_between "$started" "$received")"
    add_sample RESTORE_INIT "$engine" "$(seconds_between "$received" "$initialised")"
    add_sample RESTORE_DATA "$engine" "$(seconds_between "$initialised" "$restored")"
    add_sample RESTORE_START "$engine" "$(seconds_between "$restored" "$finished")"
    add_sample RESTORE_REPORT "$engine" "$(seconds_between "$finished" "$t1")"
  fi
  rows=$(count_rows "$engine" "$NEW_HOST" "$NEW_PORT")
  delete_instance "$NEW_ID" || return 1
  [[ $rows == "$EXPECTED_ROWS" ]] || {
    say "bench: the Coffer restore of $engine holds $rows rows, the source $EXPECTED_ROWS."
    return 1
  }
  add_sample COFFER_RESTORE "$engine" "$SAMPLE"
}

delete_backup() {
  local reply
  reply=$(api DELETE "/backups/$BACKUP_ID")
  split_reply "$reply"
  [[ $REPLY_CODE == 202 || $REPLY_CODE == 204 || $REPLY_CODE == 404 ]] ||
    say "bench: DELETE of backup $BACKUP_ID answered HTTP $REPLY_CODE: $REPLY_BODY"
}

# ---- the engines' own tools ----------------------------------------------------------------------

RAW_FILE=''

# Times the tool writing its stream into RAW_FILE, plus the fsync that makes the file a backup
# (Coffer's object is on disk when the backup is COMPLETED).
raw_backup() {
  local engine=$1 t0 t1 t2
  RAW_FILE=$BENCH_DIR/raw/$engine.backup
  mkdir -p "$BENCH_DIR/raw"
  rm -f "$RAW_FILE"
  "raw_backup_prepare_$engine"
  t0=$(now)
  "raw_backup_$engine" "$RAW_FILE" || {
    say "bench: the raw $engine backup failed; see $BENCH_DIR/raw/$engine-backup.log"
    tail -n 15 "$BENCH_DIR/raw/$engine-backup.log" >&2 || true
    return 1
  }
  t1=$(now)
  sync "$RAW_FILE"
  t2=$(now)
  SAMPLE=$(seconds_between "$t0" "$t2")
  add_sample RAW_BACKUP "$engine" "$SAMPLE"
  add_sample RAW_BACKUP_SYNC "$engine" "$(seconds_between "$t1" "$t2")"
  add_sample DATASET_BYTES "$engine" "$(stat -c %s "$RAW_FILE")"
}

# mariadb-backup as the agent runs it: the instance's my.cnf, the agent's login, the same flags.
raw_backup_prepare_mariadb() {
  local scratch=$BENCH_DIR/raw/mariadb-scratch
  rm -rf "$scratch"
  mkdir -p "$scratch/target" "$scratch/lsn"
  chown -R "$RUN_AS:" "$scratch"
  printf '!include %s\n[mariadb-backup]\nuser=%s\npassword=%s\nsocket=%s\n' "$INSTANCE_DIR/my.cnf" \
    "$ADMIN_USER" "$(admin_password)" "$INSTANCE_DIR/run/mysqld.sock" | private_file "$scratch/backup.cnf"
}

raw_backup_mariadb() {
  local scratch=$BENCH_DIR/raw/mariadb-scratch
  "${AS_ENGINE_USER[@]}" mariadb-backup --defaults-file="$scratch/backup.cnf" --backup --stream=xbstream \
    --target-dir="$scratch/target" --extra-lsndir="$scratch/lsn" >"$1" 2>"$BENCH_DIR/raw/mariadb-backup.log"
}

# pg_basebackup as the agent runs it: one tar on stdout, WAL fetched at the end, fast checkpoint.
raw_backup_prepare_postgresql() {
  printf '*:*:*:%s:%s\n' "$ADMIN_USER" "$(admin_password)" | private_file "$BENCH_DIR/raw/admin.pgpass"
}

raw_backup_postgresql() {
  (cd "$BENCH_DIR/raw" && PGPASSFILE=$BENCH_DIR/raw/admin.pgpass "${AS_ENGINE_USER[@]}" "$PG_BIN/pg_basebackup" \
    --host="$INSTANCE_DIR/run" --port="$INSTANCE_PORT" --username="$ADMIN_USER" --no-password \
    --pgdata=- --format=tar --wal-method=fetch --checkpoint=fast >"$1" 2>"$BENCH_DIR/raw/postgresql-backup.log")
}

raw_backup_prepare_redis() { :; }

# redis-cli --rdb: the server forks and sends a fresh snapshot, which redis-cli writes to a file.
raw_backup_redis() {
  REDISCLI_AUTH=$(admin_password) redis-cli --no-auth-warning -h "$INSTANCE_HOST" -p "$INSTANCE_PORT" \
    --user "$ADMIN_USER" --rdb "$1" >"$BENCH_DIR/raw/redis-backup.log" 2>&1
}

# A new server from RAW_FILE on $RAW_ADDRESS, timed until it answers; its rows are then checked.
raw_restore() {
  local engine=$1 run=$2 dir rows
  dir=$(raw_dir "$engine-restore" "$run")
  "raw_restore_$engine" "$dir" || return 1
  rows=$(count_rows "$engine" "$RAW_ADDRESS" "$(raw_port "$engine")" '')
  stop_raw "$RAW_SERVER_PID"
  cd "$ROOT"
  rm -rf --one-file-system "$dir"
  [[ $rows == "$EXPECTED_ROWS" ]] || {
    say "bench: the raw restore of $engine holds $rows rows, the source $EXPECTED_ROWS."
    return 1
  }
  add_sample RAW_RESTORE "$engine" "$SAMPLE"
}

raw_port() {
  case $1 in
    mariadb) echo 3306 ;;
    postgresql) echo 5432 ;;
    redis) echo 6379 ;;
  esac
}

RAW_SERVER_PID=''

# A setting of the instance's my.cnf, such as innodb_buffer_pool_size.
instance_setting() {
  sed -n "s/^$1=//p" "$INSTANCE_DIR/my.cnf" | tail -n 1
}

# Unpack, prepare (with the memory the agent gives it), move into an empty data directory, start
# with the instance's InnoDB sizes; what the agent's restore does, minus the instance around it.
raw_restore_mariadb() {
  local dir=$1 t0 t1 pool log_size
  pool=$(instance_setting innodb_buffer_pool_size)
  log_size=$(instance_setting innodb_log_file_size)
  port_is_free 3306 || return 1
  mkdir -p "$dir/unpacked"
  chown "$RUN_AS:" "$dir/unpacked"
  cd "$dir"
  t0=$(now)
  if ! {
    "${AS_ENGINE_USER[@]}" mbstream -x -C "$dir/unpacked" <"$RAW_FILE" &&
      "${AS_ENGINE_USER[@]}" mariadb-backup --no-defaults --prepare --use-memory="$pool" \
        --target-dir="$dir/unpacked" >"$dir/log/prepare.log" 2>&1 &&
      "${AS_ENGINE_USER[@]}" mariadb-backup --no-defaults --move-back --target-dir="$dir/unpacked" \
        --datadir="$dir/data" >"$dir/log/move-back.log" 2>&1
  }; then
    say "bench: the raw MariaDB restore failed; see $dir/log"
    tail -n 15 "$dir/log/prepare.log" "$dir/log/move-back.log" >&2 2>/dev/null || true
    return 1
  fi
  "${AS_ENGINE_USER[@]}" mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/run/mysqld.sock" \
    --pid-file="$dir/run/mysqld.pid" --bind-address="$RAW_ADDRESS" --port=3306 \
    --innodb-buffer-pool-size="$pool" --innodb-log-file-size="$log_size" \
    --log-error="$dir/log/error.log" >/dev/null 2>&1 &
  RAW_SERVER_PID=$!
  RAW_PIDS+=("$RAW_SERVER_PID")
  await_ready mariadb "$RAW_SERVER_PID" "$dir/log/error.log" \
    mariadb-admin --no-defaults --protocol=tcp --host="$RAW_ADDRESS" --port=3306 --connect-timeout=1 ping || return 1
  t1=$(now)
  SAMPLE=$(seconds_between "$t0" "$t1")
}

# Extract the tar into an empty data directory and start it: its own settings (the backup's
# coffer.conf, e.g. shared_buffers) with the address, port, socket and log moved to this run.
raw_restore_postgresql() {
  local dir=$1 t0 t1
  port_is_free 5432 || return 1
  cd "$dir"
  t0=$(now)
  "${AS_ENGINE_USER[@]}" tar --extract --file=- --directory="$dir/data" <"$RAW_FILE" || {
    say "bench: the raw PostgreSQL restore could not extract the backup"
    return 1
  }
  "${AS_ENGINE_USER[@]}" "$PG_BIN/pg_ctl" --pgdata="$dir/data" --log="$dir/log/postgresql.log" --wait \
    --timeout="$STEP_TIMEOUT_SECONDS" \
    -o "-c listen_addresses=$RAW_ADDRESS -c port=5432 -c unix_socket_directories=$dir/run -c logging_collector=off" \
    start >"$dir/log/pg_ctl.log" 2>&1 || {
    say "bench: pg_ctl start of the raw PostgreSQL restore failed; last lines of the server log:"
    tail -n 15 "$dir/log/postgresql.log" >&2 || true
    return 1
  }
  RAW_SERVER_PID=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  [[ $RAW_SERVER_PID =~ ^[0-9]+$ ]] || {
    say "bench: pg_ctl started PostgreSQL but left no postmaster.pid"
    return 1
  }
  RAW_PIDS+=("$RAW_SERVER_PID")
  await_ready postgresql "$RAW_SERVER_PID" "$dir/log/postgresql.log" \
    "$PG_BIN/pg_isready" --quiet --host="$RAW_ADDRESS" --port=5432 --timeout=1 || return 1
  t1=$(now)
  SAMPLE=$(seconds_between "$t0" "$t1")
}

# Copy the RDB in as dump.rdb and start redis-server with its defaults: it answers PONG (not
# LOADING) once the whole data set is loaded.
raw_restore_redis() {
  local dir=$1 t0 t1
  port_is_free 6379 || return 1
  cd "$dir"
  t0=$(now)
  "${AS_ENGINE_USER[@]}" cp "$RAW_FILE" "$dir/data/dump.rdb"
  "${AS_ENGINE_USER[@]}" redis-server --bind "$RAW_ADDRESS" --port 6379 --dir "$dir/data" --daemonize no \
    --pidfile "$dir/run/redis.pid" --logfile "$dir/log/redis.log" >/dev/null 2>&1 &
  RAW_SERVER_PID=$!
  RAW_PIDS+=("$RAW_SERVER_PID")
  await_ready redis "$RAW_SERVER_PID" "$dir/log/redis.log" redis_answers || return 1
  t1=$(now)
  SAMPLE=$(seconds_between "$t0" "$t1")
}

check_tools() {
  local engine=$1 tool
  case $engine in
    mariadb) for tool in mariadb mariadbd mariadb-backup mbstream mariadb-admin; do
      command -v "$tool" >/dev/null 2>&1 || die "$tool was not found: apt-get install mariadb-server mariadb-backup."
    done ;;
    postgresql) find_pg_bin ;;
    redis) for tool in redis-server redis-cli; do
      command -v "$tool" >/dev/null 2>&1 || die "$tool was not found: apt-get install redis-server."
    done ;;
  esac
}

# ---- one engine ----------------------------------------------------------------------------------

EXPECTED_ROWS=''

bench_engine() {
  local engine=$1 run t0
  say "bench: $engine: creating an instance (flavor $FLAVOR, $VOLUME_GB GB volume)..."
  create_source_instance "$engine" || return 1
  t0=$(now)
  ROWS[$engine]=$(rows_for_size "$engine")
  say "bench: $engine: loading ${ROWS[$engine]} rows (~$SIZE_MB MB)..."
  "load_$engine" "${ROWS[$engine]}" || {
    say "bench: loading $engine failed"
    return 1
  }
  EXPECTED_ROWS=$(count_rows "$engine" "$INSTANCE_HOST" "$INSTANCE_PORT")
  settle_instance || return 1
  say "bench: $engine: loaded $EXPECTED_ROWS rows in $(seconds_between "$t0" "$(now)") s (restart included)"
  for ((run = 1; run <= RUNS; run++)); do
    coffer_backup "$engine" || return 1
    say "bench: $engine run $run/$RUNS: Coffer backup ${SAMPLE}s"
    raw_backup "$engine" || return 1
    say "bench: $engine run $run/$RUNS: raw backup ${SAMPLE}s ($(stat -c %s "$RAW_FILE") bytes)"
    coffer_restore "$engine" || return 1
    say "bench: $engine run $run/$RUNS: Coffer restore ${SAMPLE}s"
    delete_backup
    raw_restore "$engine" "$run" || return 1
    say "bench: $engine run $run/$RUNS: raw restore ${SAMPLE}s"
  done
  rm -f "$RAW_FILE"
  delete_instance "$INSTANCE"
}

# ---- report --------------------------------------------------------------------------------------

# Median of one engine's samples of a result (the name of one of the arrays above).
med() {
  local -n all_samples=$1
  local -a values
  read -r -a values <<<"${all_samples[$2]:-}"
  median "${values[@]}"
}

mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b / 1e6 / s; else print "—" }'; }
ratio() { awk -v c="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.2f×", c / r; else print "—" }'; }

write_report() {
  local file=$1 engine label bytes cb rb cr rr
  {
    cat <<EOF
## Backup and restore throughput

Coffer's backup (\`POST /backups\` until \`COMPLETED\`) and restore (\`POST /instances\` with a
\`restorePoint\` until \`ACTIVE\`) of a ~$SIZE_MB MB data set, against the engine's own tool on the
same data in the same run. Throughput is the data set's size (the engine's backup stream: the size
of the raw tool's output) divided by the time, in MB (10^6 bytes) per second. The ratio is Coffer's
time over the raw tool's: lower is better, the target is 1.2× at most. Medians of $RUNS run(s).

| Engine | Data set (MB) | Coffer backup (s) | MB/s | Raw backup (s) | MB/s | Ratio | Coffer restore (s) | MB/s | Raw restore (s) | MB/s | Ratio |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
    for engine in "${ENGINES[@]}"; do
      label="$(engine_label "$engine") $(engine_version "$engine")"
      bytes=$(med DATASET_BYTES "$engine")
      cb=$(med COFFER_BACKUP "$engine")
      rb=$(med RAW_BACKUP "$engine")
      cr=$(med COFFER_RESTORE "$engine")
      rr=$(med RAW_RESTORE "$engine")
      if [[ -z $bytes || -z $cb || -z $rb || -z $cr || -z $rr ]]; then
        printf '| %s | not measured |||||||||||\n' "$label"
        continue
      fi
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(mb "$bytes")" \
        "$cb" "$(rate "$bytes" "$cb")" "$rb" "$(rate "$bytes" "$rb")" "$(ratio "$cb" "$rb")" \
        "$cr" "$(rate "$bytes" "$cr")" "$rr" "$(rate "$bytes" "$rr")" "$(ratio "$cr" "$rr")"
    done
    cat <<'EOF'

What is stored, and where Coffer's time goes (medians, seconds; from the agents' logs):

| Engine | Rows or keys | Stored object (MB) | Raw file (MB) | Backup: to the agent | in the agent | to `COMPLETED` | Raw backup: of which fsync | Restore: volume + agent start | agent to command | engine init | restore | engine start | to `ACTIVE` |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
    for engine in "${ENGINES[@]}"; do
      bytes=$(med DATASET_BYTES "$engine")
      [[ -n $bytes ]] || continue
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(engine_label "$engine")" \
        "${ROWS[$engine]:-—}" "$(mb "$(med STORED_BYTES "$engine")")" "$(mb "$bytes")" \
        "$(med BACKUP_DISPATCH "$engine")" "$(med BACKUP_AGENT "$engine")" "$(med BACKUP_REPORT "$engine")" \
        "$(med RAW_BACKUP_SYNC "$engine")" \
        "$(med RESTORE_PLACE "$engine")" "$(med RESTORE_COMMAND "$engine")" "$(med RESTORE_INIT "$engine")" \
        "$(med RESTORE_DATA "$engine")" "$(med RESTORE_START "$engine")" "$(med RESTORE_REPORT "$engine")"
    done
    echo
    echo 'Samples (s), run by run:'
    echo
    for engine in "${ENGINES[@]}"; do
      printf -- '- %s: Coffer backup %s; raw backup %s; Coffer restore %s; raw restore %s\n' \
        "$(engine_label "$engine")" "${COFFER_BACKUP[$engine]:-—}" "${RAW_BACKUP[$engine]:-—}" \
        "${COFFER_RESTORE[$engine]:-—}" "${RAW_RESTORE[$engine]:-—}"
    done
    cat <<EOF

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
$(machine_line)
- Coffer: $(coffer_line), flavor $FLAVOR, $VOLUME_GB GB volumes, volumes: $(volume_mode), backup store: ${COFFER_BACKUP_STORE:-file}
- Runs per engine: $RUNS, one step at a time: Coffer backup, raw backup, Coffer restore, raw restore
- Raw servers listen on $RAW_ADDRESS and run as the user $RUN_AS
EOF
    cat <<'EOF'

### What is measured

- **Data**: one instance per engine, created through the API with a user `bench`, loaded through
  the engine's client as that user: MariaDB and PostgreSQL a table of a bigint key, an int and 128
  hex characters per row (`INSERT … SELECT` over `seq_1_to_N` / `generate_series`, in batches of
  250,000 rows); Redis `SET key:N` with 1,000 hex characters each (`redis-cli --pipe`). The
  instance is then restarted through the API, so that every backup starts from flushed data files.
- **Coffer backup**: from `POST /v1.0/{project}/backups` to the first `GET` that shows `COMPLETED`
  (polled every 0.1 s): the agent runs the engine's tool and streams its output through the
  envelope (zstd, AES-256-GCM frames, SHA-256) into the file store, which fsyncs the object.
- **Raw backup**: the same tool with the same flags as the agent, as the engine user, against the
  same running server (the Coffer instance's engine), logging in as the agent's own admin account,
  its stdout redirected to a file on the same file system as Coffer's store, then `sync FILE`:
  - MariaDB: `mariadb-backup --backup --stream=xbstream` with the instance's `my.cnf`;
  - PostgreSQL: `pg_basebackup -D - -Ft -X fetch --checkpoint=fast`;
  - Redis: `redis-cli --rdb` (a fresh snapshot sent by the server; Coffer runs `BGSAVE` and streams
    the file it writes).
- **Coffer restore**: from `POST /v1.0/{project}/instances` with `"restorePoint": {"backupRef": …}`
  (same flavor and volume) to the first `GET` that shows `ACTIVE`. That covers a whole new
  instance: the durable task, the volume, the agent's JVM, the engine's initialisation (which the
  restore then replaces), reading and checking the object, the engine's own restore steps, and the
  start.
- **Raw restore**: from the raw file to a server that answers, on the same file system, as the
  engine user:
  - MariaDB: `mbstream -x`, `mariadb-backup --prepare --use-memory=<the instance's buffer pool>`,
    `--move-back` into an empty data directory, `mariadbd` with the instance's buffer pool and redo
    log sizes until `mariadb-admin ping` answers;
  - PostgreSQL: `tar -x` into an empty data directory, `pg_ctl start -w` (the backup's own settings,
    with address, port and socket directory moved) until `pg_isready` answers;
  - Redis: `cp` to `dump.rdb`, `redis-server` until `PING` answers `PONG` (not `LOADING`).
- Every restore, Coffer's and raw, is checked after the clock stops: the number of rows (keys) must
  be the source's.
- The breakdown: "to the agent" is from the request to the agent's log line `command received`,
  "in the agent" from there to `command done`, "to `COMPLETED`/`ACTIVE`" from there until the
  client sees the status. For a restore, "engine init" ends at the engine's `initialised` line and
  "restore" at the agent's `restored backups=` line (it includes stopping the just-initialised
  engine).

### How to reproduce

```sh
sudo bench/backup.sh                          # private server, ~1 GB per engine, 3 runs
sudo bench/backup.sh --size-mb 100 -n 1       # a quick look
sudo bench/backup.sh --engines mariadb --output /tmp/bench.md
```

See `bench/README.md` for the options.
EOF
  } >"$file"
}

# ---- main ----------------------------------------------------------------------------------------

bench_init
ensure_engine_user
for engine in "${ENGINES[@]}"; do
  check_tools "$engine"
done
if [[ $MODE == own ]]; then
  start_own_server
fi
connect
say "bench: Coffer at $API_URL (project $API_PROJECT), ~$SIZE_MB MB per engine, $RUNS run(s)"

failures=0
for engine in "${ENGINES[@]}"; do
  if ! bench_engine "$engine"; then
    failures=$((failures + 1))
    say "bench: $engine FAILED (reason above)"
    cd "$ROOT"
    for id in "${CREATED_INSTANCES[@]}"; do
      delete_instance "$id" || true
    done
  fi
done

report=$BENCH_DIR/backup.md
write_report "$report"
cat "$report"
if ((failures > 0)); then
  die "$failures engine(s) failed (reasons above); $OUTPUT was left as it was."
fi
write_section "$OUTPUT" backup "$report"
say "bench: results written to the section 'backup' of $OUTPUT"

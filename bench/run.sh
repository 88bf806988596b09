#!/usr/bin/env bash
# Provisioning benchmark: how long Coffer takes to give you a running database (POST /instances until
# ACTIVE) next to the engine's own tools doing the same by hand (init a data directory, start the
# server on a loopback address, wait until it answers). See bench/README.md.
#
#   bench/run.sh                    start a private Coffer server, measure everything, stop it
#   bench/run.sh --running          measure against the server of `./coffer up --background`
#   bench/run.sh --raw-only         only the engines' own tools (no Coffer needed)
#   options: -n RUNS (3)  --engines mariadb,postgresql,redis  --output FILE (docs/benchmarks.md)
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

RUNS=3
ENGINES=(mariadb postgresql redis)
MODE=own # own | running | raw-only
OUTPUT=$ROOT/docs/benchmarks.md
# The private server's port and instance address pool, apart from a real server's (8779, 127.77)
# and from the test suites' (127.78, 127.79, 127.88).
OWN_PORT=${BENCH_PORT:-18779}
OWN_ADDRESS_POOL=${BENCH_ADDRESS_POOL:-127.66}
# The hand-run engines listen on this loopback address, on their usual ports.
RAW_ADDRESS=${BENCH_RAW_ADDRESS:-127.67.0.1}
RUN_AS=coffer
FLAVOR=1 # m1.tiny
VOLUME_GB=1
ACTIVE_TIMEOUT_SECONDS=${BENCH_TIMEOUT:-300}
GONE_TIMEOUT_SECONDS=120
RAW_TIMEOUT_SECONDS=120

say() { printf '%s\n' "$*" >&2; }
die() {
  say "bench: $*"
  exit 1
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

while [[ $# -gt 0 ]]; do
  case $1 in
    -n | --runs)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "-n needs a positive number of runs."
      RUNS=$2
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
    --raw-only) MODE=raw-only ;;
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

# ---- helpers -------------------------------------------------------------------------------------

now() { echo "$EPOCHREALTIME"; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Median of the numbers given as arguments.
median() {
  [[ $# -gt 0 ]] || return 0
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "" } else if (NR % 2) { printf "%.2f", v[(NR + 1) / 2] }
    else { printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

# Reads one field of a JSON document on stdin, by a dotted path such as instance.status.
json_field() {
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)' "$1"
}

is_root() { [[ $EUID -eq 0 ]]; }

command -v python3 >/dev/null 2>&1 || die "python3 is needed (apt-get install python3)."
command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)."

# Other work on the machine skews the numbers: the report says how busy it was.
LOAD_AT_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
BENCH_DIR=$(mktemp -d /tmp/coffer-bench.XXXXXX)
# The engines run as $RUN_AS and must reach their directories below this one.
chmod 0755 "$BENCH_DIR"

# ---- cleanup: nothing is left behind, even on failure --------------------------------------------

RAW_PIDS=()
CREATED_INSTANCES=()
OWN_SERVER=no

cleanup() {
  local status=$? pid id
  for pid in "${RAW_PIDS[@]}"; do
    if alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  local reply
  for id in "${CREATED_INSTANCES[@]}"; do
    say "bench: deleting instance $id, left by a failed or interrupted run"
    reply=$(api DELETE "/instances/$id" 2>/dev/null || true)
    if [[ ${reply##*$'\n'} == 202 ]] && wait_instance_gone "$id" >/dev/null 2>&1; then
      continue
    fi
    if [[ $OWN_SERVER == yes ]]; then
      say "bench: instance $id could not be deleted; its processes and volume go with the private server."
    else
      say "bench: instance $id could not be deleted (${reply%$'\n'*}); delete it with the CLI once it settles."
    fi
  done
  if [[ $OWN_SERVER == yes ]]; then
    "$ROOT/coffer" down >/dev/null 2>&1 || say "bench: could not stop the private server (COFFER_HOME=$COFFER_HOME)."
    if [[ ${#CREATED_INSTANCES[@]} -gt 0 ]]; then
      release_private_leftovers
    fi
  fi
  if ! rm -rf --one-file-system "$BENCH_DIR" 2>/dev/null; then
    say "bench: some files remain in $BENCH_DIR (a mounted volume?); remove it once unmounted."
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until a process has exited (a zombie counts as exited), then reaps it if it is our child.
# Instances of the private server that could not be deleted: their agents and engines are
# processes started for this run, found by the run's own temporary directory in their command
# line or working directory; their volumes are mounted below it.
release_private_leftovers() {
  local proc pid mount
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [[ $pid != "$$" ]] || continue
    if tr '\0' ' ' <"$proc/cmdline" 2>/dev/null | grep -qF "$BENCH_DIR/" ||
      [[ $(readlink "$proc/cwd" 2>/dev/null) == "$BENCH_DIR"/* ]]; then
      say "bench: stopping pid $pid, left by an instance of the private server"
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  while read -r _ mount _; do
    if [[ $mount == "$BENCH_DIR"/* ]]; then
      say "bench: unmounting $mount"
      umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
    fi
  done < <(sort -r -k2,2 /proc/mounts)
}

wait_gone() {
  local pid=$1 limit=$2 deadline
  deadline=$((SECONDS + limit))
  while alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
}

alive() {
  [[ -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# ---- Coffer --------------------------------------------------------------------------------------

API_URL=''
API_PROJECT=''
API_TOKEN=''

# api METHOD PATH [BODY]: prints the response body, then a line with the HTTP status.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS -X "$method" -H "X-Auth-Token: $API_TOKEN" -H 'Accept: application/json'
    -w '\n%{http_code}' --max-time 30)
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary @-)
    printf '%s' "$body" | curl "${args[@]}" "$API_URL/v1.0/$API_PROJECT$path"
  else
    curl "${args[@]}" "$API_URL/v1.0/$API_PROJECT$path"
  fi
}

credential() {
  local file=$1 wanted=$2 key value
  while IFS='=' read -r key value; do
    if [[ $key == "$wanted" ]]; then
      printf '%s' "$value"
      return 0
    fi
  done <"$file"
}

start_own_server() {
  export COFFER_HOME=$BENCH_DIR/home COFFER_PORT=$OWN_PORT COFFER_BIND=127.0.0.1
  export COFFER_ADDRESS_POOL=$OWN_ADDRESS_POOL
  say "bench: starting a private Coffer server (COFFER_HOME=$COFFER_HOME, port $COFFER_PORT)..."
  OWN_SERVER=yes
  if ! "$ROOT/coffer" up --background >"$BENCH_DIR/up.out" 2>&1; then
    cat "$BENCH_DIR/up.out" >&2
    die "the private Coffer server did not start (output above). Build and start problems are the
       server's: try \`COFFER_PORT=$OWN_PORT ./coffer up\` by hand, or measure only the engines with --raw-only."
  fi
}

# Logs in with the admin credentials the server wrote at its first start.
connect() {
  local home=${COFFER_HOME:-}
  if [[ -z $home ]]; then
    if is_root; then home=/var/lib/coffer; else home=$HOME/.local/share/coffer; fi
  fi
  local file=$home/admin-credentials
  [[ -r $file ]] || die "no credentials file at $file.
       Start a server with \`./coffer up --background\` (as the same user, with the same COFFER_HOME),
       or run bench/run.sh without --running to let it start a private one."
  API_URL=$(credential "$file" COFFER_URL)
  API_URL=${API_URL%/}
  API_PROJECT=$(credential "$file" COFFER_PROJECT)
  [[ -n $API_URL && -n $API_PROJECT ]] || die "$file lacks COFFER_URL or COFFER_PROJECT."
  curl -fsS -o /dev/null --max-time 5 "$API_URL/" ||
    die "no Coffer server answers at $API_URL/. Start it with \`./coffer up --background\`, or run
       bench/run.sh without --running to let it start a private one."

  # A fresh token (the one saved at first start may have expired). The password goes in the
  # request body through a pipe, never on a command line.
  local response token=''
  response=$(COFFER_BENCH_USER=$(credential "$file" COFFER_ADMIN_USER) \
    COFFER_BENCH_PASSWORD=$(credential "$file" COFFER_ADMIN_PASSWORD) python3 -c '
import json, os
print(json.dumps({"username": os.environ["COFFER_BENCH_USER"], "password": os.environ["COFFER_BENCH_PASSWORD"]}))' |
    curl -sS -X POST -H 'Content-Type: application/json' --data-binary @- --max-time 30 \
      "$API_URL/coffer/v1/tokens" || true)
  token=$(printf '%s' "$response" | json_field token.id 2>/dev/null || true)
  API_TOKEN=${token:-$(credential "$file" COFFER_TOKEN)}
  local reply
  reply=$(api GET /instances)
  [[ ${reply##*$'\n'} == 200 ]] ||
    die "the server refused the admin credentials from $file (HTTP ${reply##*$'\n'}): ${reply%$'\n'*}"
}

# The last measurement, in seconds. Measuring functions set it rather than print it: they run in
# this shell (not in a $(...) subshell) so that cleanup knows about every process and instance.
SAMPLE=''

# One provisioning: the seconds from POST /instances to ACTIVE; then deletes the instance.
coffer_once() {
  local engine=$1 run=$2 name body reply code id t0 t1 status
  name=bench-$engine-$run-$RANDOM
  body=$(printf '{"instance":{"name":"%s","flavorRef":"%s","volume":{"size":%d},"datastore":{"type":"%s"}}}' \
    "$name" "$FLAVOR" "$VOLUME_GB" "$engine")
  t0=$(now)
  reply=$(api POST /instances "$body")
  code=${reply##*$'\n'}
  reply=${reply%$'\n'*}
  [[ $code == 200 || $code == 202 ]] || {
    say "bench: POST /instances for $engine answered HTTP $code: $reply"
    return 1
  }
  id=$(printf '%s' "$reply" | json_field instance.id)
  [[ -n $id ]] || {
    say "bench: POST /instances for $engine answered without instance.id: $reply"
    return 1
  }
  CREATED_INSTANCES+=("$id")
  local deadline=$((SECONDS + ACTIVE_TIMEOUT_SECONDS))
  while :; do
    reply=$(api GET "/instances/$id")
    code=${reply##*$'\n'}
    reply=${reply%$'\n'*}
    status=''
    # A cheap look first (no process per poll, so the poller does not slow down what it measures),
    # then a real JSON read once the status looks final.
    if [[ $code == 200 && $reply =~ \"status\"[[:space:]]*:[[:space:]]*\"(ACTIVE|ERROR)\" ]]; then
      status=$(printf '%s' "$reply" | json_field instance.status)
    fi
    if [[ $status == ACTIVE ]]; then
      t1=$(now)
      break
    fi
    if [[ $status == ERROR ]]; then
      say "bench: $engine instance $id went to ERROR: $(printf '%s' "$reply" | json_field instance.fault.message)"
      delete_instance "$id" || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      [[ $code != 200 ]] || status=$(printf '%s' "$reply" | json_field instance.status)
      say "bench: $engine instance $id is not ACTIVE after ${ACTIVE_TIMEOUT_SECONDS}s (status '$status', HTTP $code)."
      delete_instance "$id" || true
      return 1
    fi
    sleep 0.1
  done
  delete_instance "$id" || return 1
  SAMPLE=$(seconds_between "$t0" "$t1")
}

delete_instance() {
  local id=$1 reply code
  reply=$(api DELETE "/instances/$id")
  code=${reply##*$'\n'}
  if [[ $code != 202 && $code != 404 ]]; then
    say "bench: DELETE of instance $id answered HTTP $code: ${reply%$'\n'*}"
    return 1
  fi
  wait_instance_gone "$id" || {
    say "bench: instance $id was not gone ${GONE_TIMEOUT_SECONDS}s after DELETE."
    return 1
  }
  local kept=() other
  for other in "${CREATED_INSTANCES[@]}"; do
    [[ $other == "$id" ]] || kept+=("$other")
  done
  CREATED_INSTANCES=("${kept[@]}")
}

wait_instance_gone() {
  local id=$1 deadline=$((SECONDS + GONE_TIMEOUT_SECONDS)) reply
  while :; do
    reply=$(api GET "/instances/$id")
    [[ ${reply##*$'\n'} != 404 ]] || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# ---- the engines' own tools ----------------------------------------------------------------------

# Prefix that runs a command as the unprivileged engine user when we are root (mariadbd and postgres
# refuse root), as ourselves otherwise. setpriv execs, so a background job's $! is the engine's pid.
AS_ENGINE_USER=()
if is_root; then
  AS_ENGINE_USER=(setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups --)
fi

# Fails when something already listens where a raw engine is about to: it would answer in its place.
port_is_free() {
  local port=$1
  if (exec 3<>"/dev/tcp/$RAW_ADDRESS/$port") 2>/dev/null; then
    say "bench: something already listens on $RAW_ADDRESS:$port; stop it, or set BENCH_RAW_ADDRESS."
    return 1
  fi
}

ensure_engine_user() {
  is_root || return 0
  id -u "$RUN_AS" >/dev/null 2>&1 && return 0
  say "bench: creating the system user $RUN_AS"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_AS"
}

PG_BIN=${BENCH_PG_BIN:-}
find_pg_bin() {
  if [[ -z $PG_BIN ]]; then
    PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  fi
  [[ -x $PG_BIN/initdb ]] || die "PostgreSQL's initdb was not found (apt-get install postgresql, or set BENCH_PG_BIN)."
}

raw_dir() {
  local dir=$BENCH_DIR/raw/$1-$2
  mkdir -p "$dir/data" "$dir/run" "$dir/log"
  if is_root; then
    chown -R "$RUN_AS:" "$dir"
  fi
  chmod 0700 "$dir/data"
  echo "$dir"
}

# Waits until a probe command succeeds, while the engine process is alive.
await_ready() {
  local engine=$1 pid=$2 log=$3
  shift 3
  local deadline=$((SECONDS + RAW_TIMEOUT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! alive "$pid"; then
      say "bench: raw $engine exited before answering; last lines of $log:"
      tail -n 15 "$log" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "bench: raw $engine did not answer within ${RAW_TIMEOUT_SECONDS}s; see $log"
      return 1
    fi
    sleep 0.05
  done
}

stop_raw() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 60 || {
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || true
  }
  local kept=() other
  for other in "${RAW_PIDS[@]}"; do
    [[ $other == "$pid" ]] || kept+=("$other")
  done
  RAW_PIDS=("${kept[@]}")
}

raw_mariadb() {
  local dir=$1 t0 t1 pid
  cd "$dir"
  port_is_free 3306 || return 1
  t0=$(now)
  "${AS_ENGINE_USER[@]}" mariadb-install-db --no-defaults --datadir="$dir/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/log/install.log" 2>&1 || {
    say "bench: mariadb-install-db failed; last lines of its output:"
    tail -n 15 "$dir/log/install.log" >&2
    return 1
  }
  "${AS_ENGINE_USER[@]}" mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/run/mysqld.sock" \
    --pid-file="$dir/run/mysqld.pid" --bind-address="$RAW_ADDRESS" --port=3306 \
    --log-error="$dir/log/error.log" >/dev/null 2>&1 &
  pid=$!
  RAW_PIDS+=("$pid")
  # ping answers 0 as soon as the server accepts connections, even with "access denied".
  await_ready mariadb "$pid" "$dir/log/error.log" \
    mariadb-admin --no-defaults --protocol=tcp --host="$RAW_ADDRESS" --port=3306 --connect-timeout=1 ping || return 1
  t1=$(now)
  stop_raw "$pid"
  SAMPLE=$(seconds_between "$t0" "$t1")
}

raw_postgresql() {
  local dir=$1 t0 t1 pid
  cd "$dir"
  # The admin password goes to initdb in a 0600 file, as Coffer's agent does.
  (umask 077 && head -c 24 /dev/urandom | base64 >"$dir/run/pwfile")
  if is_root; then chown "$RUN_AS:" "$dir/run/pwfile"; fi
  port_is_free 5432 || return 1
  t0=$(now)
  "${AS_ENGINE_USER[@]}" "$PG_BIN/initdb" --pgdata="$dir/data" --username=postgres --pwfile="$dir/run/pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    --no-instructions >"$dir/log/initdb.log" 2>&1 || {
    say "bench: initdb failed; last lines of its output:"
    tail -n 15 "$dir/log/initdb.log" >&2
    return 1
  }
  "${AS_ENGINE_USER[@]}" "$PG_BIN/pg_ctl" --pgdata="$dir/data" --log="$dir/log/postgresql.log" --wait --timeout=60 \
    -o "-c listen_addresses=$RAW_ADDRESS -c port=5432 -c unix_socket_directories=$dir/run" \
    start >"$dir/log/pg_ctl.log" 2>&1 || {
    say "bench: pg_ctl start failed; last lines of the server log:"
    tail -n 15 "$dir/log/postgresql.log" >&2 || true
    return 1
  }
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || {
    say "bench: pg_ctl started PostgreSQL but left no postmaster.pid"
    return 1
  }
  RAW_PIDS+=("$pid")
  await_ready postgresql "$pid" "$dir/log/postgresql.log" \
    "$PG_BIN/pg_isready" --quiet --host="$RAW_ADDRESS" --port=5432 --timeout=1 || return 1
  t1=$(now)
  # pg_ctl stop may return before the postmaster is gone: stop_raw waits for its pid.
  "${AS_ENGINE_USER[@]}" "$PG_BIN/pg_ctl" --pgdata="$dir/data" --mode=fast --no-wait stop >/dev/null 2>&1 || true
  stop_raw "$pid"
  SAMPLE=$(seconds_between "$t0" "$t1")
}

raw_redis() {
  local dir=$1 t0 t1 pid
  cd "$dir"
  port_is_free 6379 || return 1
  t0=$(now)
  # Redis has no separate initialisation: starting it on an empty directory is the whole job.
  "${AS_ENGINE_USER[@]}" redis-server --bind "$RAW_ADDRESS" --port 6379 --dir "$dir/data" --daemonize no \
    --pidfile "$dir/run/redis.pid" --logfile "$dir/log/redis.log" \
    >/dev/null 2>&1 &
  pid=$!
  RAW_PIDS+=("$pid")
  await_ready redis "$pid" "$dir/log/redis.log" redis_answers || return 1
  t1=$(now)
  stop_raw "$pid"
  SAMPLE=$(seconds_between "$t0" "$t1")
}

redis_answers() {
  [[ $(redis-cli -h "$RAW_ADDRESS" -p 6379 ping 2>/dev/null) == PONG ]]
}

check_raw_tools() {
  local engine=$1 tool
  case $engine in
    mariadb)
      for tool in mariadb-install-db mariadbd mariadb-admin; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool was not found: apt-get install mariadb-server."
      done
      ;;
    postgresql) find_pg_bin ;;
    redis)
      for tool in redis-server redis-cli; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool was not found: apt-get install redis-server."
      done
      ;;
  esac
}

# ---- report --------------------------------------------------------------------------------------

engine_version() {
  case $1 in
    mariadb) mariadbd --version 2>/dev/null | awk '{ sub(/-.*/, "", $3); print $3 }' || true ;;
    postgresql) "${PG_BIN:-/nonexistent}/postgres" --version 2>/dev/null | awk '{ print $3 }' || true ;;
    redis) redis-server --version 2>/dev/null | sed -n 's/.* v=\([^ ]*\).*/\1/p' || true ;;
  esac
}

engine_label() {
  case $1 in
    mariadb) echo MariaDB ;;
    postgresql) echo PostgreSQL ;;
    redis) echo Redis ;;
  esac
}

declare -A COFFER_SAMPLES RAW_SAMPLES

write_report() {
  local file=$1 engine coffer_median raw_median ratio
  local -a coffer_values raw_values
  local mem_mb cpus kernel os commit java_version volumes
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
  cpus=$(nproc)
  kernel=$(uname -r)
  os=$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release 2>/dev/null || true)
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  java_version=$(java -version 2>&1 | head -n 1 | sed 's/.*"\(.*\)".*/\1/' || true)
  volumes=n/a
  if [[ $MODE == own ]]; then
    volumes=$(sed -n 's/.*event=volumes mode=\([^ ]*\).*/\1/p' "$COFFER_HOME/coffer-server.log" 2>/dev/null | tail -n 1)
    volumes=${volumes:-unknown}
  elif [[ $MODE == running ]]; then
    volumes='as configured on the running server'
  fi
  {
    cat <<'EOF'
# Benchmarks

How long it takes to get a database that answers: Coffer (`POST /instances` until the instance is
`ACTIVE`) against the engine's own tools run by hand (initialise a data directory, start the server
on a loopback address, wait until it answers). Lower is better; the ratio is Coffer / raw. Each
figure is the median of the runs; all samples are listed.

| Engine | Coffer median (s) | Raw median (s) | Ratio | Coffer samples (s) | Raw samples (s) |
|---|---:|---:|---:|---|---|
EOF
    for engine in "${ENGINES[@]}"; do
      read -r -a coffer_values <<<"${COFFER_SAMPLES[$engine]:-}"
      read -r -a raw_values <<<"${RAW_SAMPLES[$engine]:-}"
      coffer_median=$(median "${coffer_values[@]}")
      raw_median=$(median "${raw_values[@]}")
      ratio='—'
      if [[ -n $coffer_median && -n $raw_median ]]; then
        ratio=$(awk -v c="$coffer_median" -v r="$raw_median" 'BEGIN { if (r > 0) printf "%.1f×", c / r; else print "—" }')
      fi
      printf '| %s %s | %s | %s | %s | %s | %s |\n' "$(engine_label "$engine")" "$(engine_version "$engine")" \
        "${coffer_median:-not measured}" "${raw_median:-not measured}" "$ratio" \
        "${COFFER_SAMPLES[$engine]:-—}" "${RAW_SAMPLES[$engine]:-—}"
    done
    cat <<EOF

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Machine: $cpus CPUs, $mem_mb MB RAM, Linux $kernel ($os); load average at the start: $LOAD_AT_START
- Coffer: commit $commit, Java $java_version, flavor $FLAVOR (m1.tiny, 256 MB RAM), $VOLUME_GB GB volume, volumes: $volumes
- Runs per engine: $RUNS, one at a time, Coffer then raw
- Raw engines listen on $RAW_ADDRESS and run as the user $RUN_AS (when run as root)
EOF
    cat <<'EOF'

## What is measured

- **Coffer**: from sending `POST /v1.0/{project}/instances` to the first `GET` that shows
  `"status": "ACTIVE"` (polled every 0.1 s). That covers the durable task, the volume, the guest
  agent's JVM, the engine's initialisation and start, and the agent's own admin account. The
  instance is then deleted, and the next run starts once `GET` answers 404.
- **Raw**: the engine's own tools by hand, in a temporary directory, as an unprivileged user:
  - MariaDB: `mariadb-install-db --no-defaults --auth-root-authentication-method=socket
    --skip-test-db`, then `mariadbd --no-defaults` until `mariadb-admin ping` answers over TCP;
  - PostgreSQL: `initdb` (scram-sha-256, UTF8, C.UTF-8, password file), then `pg_ctl start -w`
    until `pg_isready` answers over TCP;
  - Redis: `redis-server` with its default settings until `redis-cli ping` answers `PONG`.

The raw side uses each engine's default settings; Coffer sizes memory from the flavor.

## How to reproduce

```sh
sudo bench/run.sh              # starts a private server on port 18779, measures, stops it
sudo bench/run.sh --running    # against the server of `./coffer up --background`
sudo bench/run.sh --raw-only   # only the engines' own tools
```

See `bench/README.md` for the options.
EOF
  } >"$file"
}

# ---- main ----------------------------------------------------------------------------------------

if [[ $MODE != raw-only ]]; then
  if [[ $MODE == own ]]; then
    start_own_server
  fi
  connect
  say "bench: Coffer at $API_URL (project $API_PROJECT)"
fi
ensure_engine_user
# mariadbd and friends live in /usr/sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
for engine in "${ENGINES[@]}"; do
  check_raw_tools "$engine"
done
failures=0

for engine in "${ENGINES[@]}"; do
  for ((run = 1; run <= RUNS; run++)); do
    if [[ $MODE != raw-only ]]; then
      if coffer_once "$engine" "$run"; then
        COFFER_SAMPLES[$engine]="${COFFER_SAMPLES[$engine]:-}${COFFER_SAMPLES[$engine]:+ }$SAMPLE"
        say "bench: $engine run $run/$RUNS: Coffer ${SAMPLE}s"
      else
        failures=$((failures + 1))
        say "bench: $engine run $run/$RUNS: Coffer FAILED"
      fi
    fi
    dir=$(raw_dir "$engine" "$run")
    if "raw_$engine" "$dir"; then
      RAW_SAMPLES[$engine]="${RAW_SAMPLES[$engine]:-}${RAW_SAMPLES[$engine]:+ }$SAMPLE"
      say "bench: $engine run $run/$RUNS: raw ${SAMPLE}s"
    else
      failures=$((failures + 1))
      say "bench: $engine run $run/$RUNS: raw FAILED"
    fi
    cd "$ROOT"
    rm -rf --one-file-system "$dir"
  done
done

report=$BENCH_DIR/benchmarks.md
write_report "$report"
cat "$report"
if ((failures > 0)); then
  die "$failures measurement(s) failed (reasons above); $OUTPUT was left as it was."
fi
mkdir -p "$(dirname "$OUTPUT")"
cp "$report" "$OUTPUT"
say "bench: results written to $OUTPUT"

# shellcheck shell=bash
# shellcheck disable=SC2034 # settings and results used by the scripts that source this file
# Shared by the benchmark scripts (bench/run.sh, bench/backup.sh); sourced, never run.
#
# What it gives a script: messages and timing helpers, a private Coffer server (or the running one)
# and its API, the engines' own tools run as the unprivileged user, cleanup of everything a run
# started (trap set by bench_init), and one section of docs/benchmarks.md rewritten at a time.

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

# The private server's port and instance address pool, apart from a real server's (8779, 127.77)
# and from the test suites' (127.78, 127.79, 127.88).
OWN_PORT=${BENCH_PORT:-18779}
OWN_ADDRESS_POOL=${BENCH_ADDRESS_POOL:-127.66}
# The hand-run engines listen on this loopback address, on their usual ports.
RAW_ADDRESS=${BENCH_RAW_ADDRESS:-127.67.0.1}
RUN_AS=coffer
ACTIVE_TIMEOUT_SECONDS=${BENCH_TIMEOUT:-300}
GONE_TIMEOUT_SECONDS=120
RAW_TIMEOUT_SECONDS=120

say() { printf '%s\n' "$*" >&2; }
die() {
  say "bench: $*"
  exit 1
}

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

# Prefix that runs a command as the unprivileged engine user when we are root (mariadbd and postgres
# refuse root), as ourselves otherwise. setpriv execs, so a background job's $! is the engine's pid.
AS_ENGINE_USER=()
if is_root; then
  AS_ENGINE_USER=(setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups --)
fi

# ---- start and cleanup: nothing is left behind, even on failure ----------------------------------

RAW_PIDS=()
CREATED_INSTANCES=()
OWN_SERVER=no
BENCH_DIR=''
LOAD_AT_START=''

# Checks the common prerequisites, makes the run's temporary directory and sets the cleanup trap.
bench_init() {
  command -v python3 >/dev/null 2>&1 || die "python3 is needed (apt-get install python3)."
  command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)."
  # Other work on the machine skews the numbers: the report says how busy it was.
  LOAD_AT_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
  BENCH_DIR=$(mktemp -d /tmp/coffer-bench.XXXXXX)
  # The engines run as $RUN_AS and must reach their directories below this one.
  chmod 0755 "$BENCH_DIR"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  # mariadbd and friends live in /usr/sbin, which a non-root PATH may lack.
  PATH=$PATH:/usr/sbin:/sbin
}

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
  if [[ -n $BENCH_DIR ]] && ! rm -rf --one-file-system "$BENCH_DIR" 2>/dev/null; then
    say "bench: some files remain in $BENCH_DIR (a mounted volume?); remove it once unmounted."
  fi
  exit "$status"
}

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

# Waits until a process has exited (a zombie counts as exited), then reaps it if it is our child.
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
# The server's home directory (instances, backups, logs), known once connected.
SERVER_HOME=''

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
  SERVER_HOME=$home
  local file=$home/admin-credentials
  [[ -r $file ]] || die "no credentials file at $file.
       Start a server with \`./coffer up --background\` (as the same user, with the same COFFER_HOME),
       or run the benchmark without --running to let it start a private one."
  API_URL=$(credential "$file" COFFER_URL)
  API_URL=${API_URL%/}
  API_PROJECT=$(credential "$file" COFFER_PROJECT)
  [[ -n $API_URL && -n $API_PROJECT ]] || die "$file lacks COFFER_URL or COFFER_PROJECT."
  curl -fsS -o /dev/null --max-time 5 "$API_URL/" ||
    die "no Coffer server answers at $API_URL/. Start it with \`./coffer up --background\`, or run
       the benchmark without --running to let it start a private one."

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

# Sets REPLY_BODY and REPLY_CODE from a reply of api().
REPLY_BODY=''
REPLY_CODE=''
split_reply() {
  REPLY_CODE=${1##*$'\n'}
  REPLY_BODY=${1%$'\n'*}
}

# Polls GET PATH until FIELD (a dotted JSON path) is one of the wanted values; fails on ERROR or
# FAILED, or after the timeout. Cheap look first (no process per poll, so the poller does not slow
# down what it measures), then a real JSON read once the status looks final. Sets REPLY_BODY.
await_status() {
  local path=$1 field=$2 wanted=$3 timeout=$4 reply status deadline
  deadline=$((SECONDS + timeout))
  while :; do
    reply=$(api GET "$path")
    split_reply "$reply"
    status=''
    if [[ $REPLY_CODE == 200 && $REPLY_BODY =~ \"status\"[[:space:]]*:[[:space:]]*\"($wanted|ERROR|FAILED)\" ]]; then
      status=$(printf '%s' "$REPLY_BODY" | json_field "$field")
    fi
    if [[ -n $status && $status =~ ^($wanted)$ ]]; then
      return 0
    fi
    if [[ $status == ERROR || $status == FAILED ]]; then
      say "bench: $path went to $status: $(printf '%s' "$REPLY_BODY" | json_field "${field%%.*}.fault.message")"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "bench: $path is not $wanted after ${timeout}s (HTTP $REPLY_CODE): $REPLY_BODY"
      return 1
    fi
    sleep 0.1
  done
}

forget_instance() {
  local id=$1 kept=() other
  for other in "${CREATED_INSTANCES[@]}"; do
    [[ $other == "$id" ]] || kept+=("$other")
  done
  CREATED_INSTANCES=("${kept[@]}")
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
  forget_instance "$id"
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

# A fresh directory for one raw engine run, with data/ run/ log/ owned by the engine user.
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

redis_answers() {
  [[ $(redis-cli -h "$RAW_ADDRESS" -p 6379 ping 2>/dev/null) == PONG ]]
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

# One line describing the machine, the build and how busy the machine was.
machine_line() {
  local mem_mb os
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
  os=$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release 2>/dev/null || true)
  printf -- '- Machine: %s CPUs, %s MB RAM, Linux %s (%s); load average at the start: %s, at the end: %s\n' \
    "$(nproc)" "$mem_mb" "$(uname -r)" "$os" "$LOAD_AT_START" "$(cut -d ' ' -f 1-3 /proc/loadavg)"
}

coffer_line() {
  local commit java_version
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  java_version=$(java -version 2>&1 | head -n 1 | sed 's/.*"\(.*\)".*/\1/' || true)
  printf 'commit %s, Java %s' "$commit" "$java_version"
  # The server and its agents inherit it; it overrides their command-line JVM options.
  if [[ -n ${_JAVA_OPTIONS:-} ]]; then
    printf ', JVM options overridden with _JAVA_OPTIONS="%s"' "$_JAVA_OPTIONS"
  fi
}

# The volume mode the server chose, from its log (private server only).
volume_mode() {
  local mode
  case ${MODE:-own} in
    own)
      mode=$(sed -n 's/.*event=volumes mode=\([^ ]*\).*/\1/p' "$COFFER_HOME/coffer-server.log" 2>/dev/null | tail -n 1)
      echo "${mode:-unknown}"
      ;;
    running) echo 'as configured on the running server' ;;
    *) echo n/a ;;
  esac
}

# write_section FILE NAME CONTENT_FILE: replaces the part of FILE between the markers
# `<!-- begin generated: NAME -->` and `<!-- end generated: NAME -->` with the content (markers
# kept), or appends it with its markers when FILE has none; everything else in FILE stays as it is.
write_section() {
  local file=$1 name=$2 content=$3
  mkdir -p "$(dirname "$file")"
  python3 - "$file" "$name" "$content" <<'EOF'
import os, sys
path, name, content_path = sys.argv[1:4]
begin, end = f"<!-- begin generated: {name} -->", f"<!-- end generated: {name} -->"
with open(content_path, encoding="utf-8") as f:
    block = f"{begin}\n{f.read().strip()}\n{end}"
text = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmarks\n"
start, stop = text.find(begin), text.find(end)
if start >= 0 and stop > start:
    text = text[:start] + block + text[stop + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
tmp = path + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    f.write(text)
os.replace(tmp, path)
EOF
}

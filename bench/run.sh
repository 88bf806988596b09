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

# shellcheck source=bench/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

RUNS=3
ENGINES=(mariadb postgresql redis)
MODE=own # own | running | raw-only
OUTPUT=$ROOT/docs/benchmarks.md
FLAVOR=1 # m1.tiny
VOLUME_GB=1

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

# ---- Coffer --------------------------------------------------------------------------------------

# The last measurement, in seconds. Measuring functions set it rather than print it: they run in
# this shell (not in a $(...) subshell) so that cleanup knows about every process and instance.
SAMPLE=''

# One provisioning: the seconds from POST /instances to ACTIVE; then deletes the instance.
coffer_once() {
  local engine=$1 run=$2 name body reply id t0 t1
  name=bench-$engine-$run-$RANDOM
  body=$(printf '{"instance":{"name":"%s","flavorRef":"%s","volume":{"size":%d},"datastore":{"type":"%s"}}}' \
    "$name" "$FLAVOR" "$VOLUME_GB" "$engine")
  t0=$(now)
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
  if ! await_status "/instances/$id" instance.status ACTIVE "$ACTIVE_TIMEOUT_SECONDS"; then
    delete_instance "$id" || true
    return 1
  fi
  t1=$(now)
  delete_instance "$id" || return 1
  SAMPLE=$(seconds_between "$t0" "$t1")
}

# ---- the engines' own tools ----------------------------------------------------------------------

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

declare -A COFFER_SAMPLES RAW_SAMPLES

write_report() {
  local file=$1 engine coffer_median raw_median ratio
  local -a coffer_values raw_values
  {
    cat <<'EOF'
## Time to a database that answers

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
$(machine_line)
- Coffer: $(coffer_line), flavor $FLAVOR (m1.tiny, 256 MB RAM), $VOLUME_GB GB volume, volumes: $(volume_mode)
- Runs per engine: $RUNS, one at a time, Coffer then raw
- Raw engines listen on $RAW_ADDRESS and run as the user $RUN_AS (when run as root)
EOF
    cat <<'EOF'

### What is measured

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

### How to reproduce

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

bench_init
if [[ $MODE != raw-only ]]; then
  if [[ $MODE == own ]]; then
    start_own_server
  fi
  connect
  say "bench: Coffer at $API_URL (project $API_PROJECT)"
fi
ensure_engine_user
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
write_section "$OUTPUT" create "$report"
say "bench: results written to the section 'create' of $OUTPUT"
